// Pitfall 4 (../pitfalls.ts): one port in the app, the image and Cloud Run.
import { APP_CONFIG, appDefaults } from '../app-config.ts';
import { deployPaths, flagValues, GCLOUD_RUN } from '../deploy-paths.ts';
import { instructions } from '../dockerfile.ts';
import type { Repo } from '../repo.ts';
import { SERVICE_YAML, service } from '../service-yaml.ts';
import type { Found } from '../types.ts';

export async function port(repo: Repo): Promise<Found[]> {
  const found: Found[] = [];
  const seen: Array<{ where: string; port: number }> = [];
  const app = (await appDefaults(repo))?.port;
  if (app !== undefined) seen.push({ where: `loadConfig({}).port in ${APP_CONFIG}`, port: app });
  for (const { keyword, args } of instructions(repo)) {
    if (keyword === 'EXPOSE')
      for (const p of args.split(/\s+/))
        seen.push({ where: 'Dockerfile EXPOSE', port: Number.parseInt(p, 10) });
    const env = keyword === 'ENV' && /(?:^|\s)PORT(?:=|\s+)["']?(\d+)/.exec(args);
    if (env) seen.push({ where: 'Dockerfile ENV PORT', port: Number(env[1]) });
  }
  const svc = service(repo);
  if (svc) {
    const cp = svc.ports?.[0]?.containerPort;
    seen.push({
      where: `${SERVICE_YAML} containerPort${cp ? '' : ' (unset: 8080)'}`,
      port: cp ?? 8080,
    });
    for (const p of [svc.startupProbe, svc.livenessProbe])
      seen.push({
        where: `${SERVICE_YAML} probe port`,
        port: p?.httpGet?.port ?? p?.tcpSocket?.port ?? Number.NaN,
      });
    if (svc.envValues.has('PORT')) {
      const message = `${SERVICE_YAML} sets env PORT, which Cloud Run reserves and rejects; it sets PORT from containerPort`;
      const fix = `Remove PORT from env in ${SERVICE_YAML}; set ports[0].containerPort instead`;
      found.push({ id: 'port-env-reserved', severity: 'error', message, fix, file: SERVICE_YAML });
    }
  }
  for (const cmd of deployPaths(repo).commands)
    if (GCLOUD_RUN.test(cmd.text))
      for (const v of flagValues(cmd.text, '--port'))
        seen.push({ where: `${cmd.file} --port`, port: Number(v) });

  const ports = seen.filter((s) => Number.isInteger(s.port));
  const expected = app ?? 8080;
  const wrong = ports.filter((s) => s.port !== expected);
  if (new Set(ports.map((s) => s.port)).size > 1) {
    const message = `The port differs between places: ${ports.map((s) => `${s.where} = ${s.port}`).join('; ')}`;
    const fix = `Use ${expected} everywhere: ${wrong.map((s) => s.where).join(', ')} -> ${expected}`;
    found.push({ id: 'port-mismatch', severity: 'error', message, fix });
  }
  return found;
}
