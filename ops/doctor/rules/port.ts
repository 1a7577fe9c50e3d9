// Pitfall 4: the app, the image and Cloud Run must agree on one port. Cloud
// Run sends traffic and probes to containerPort (8080 when unset) and sets
// $PORT to it; any other port makes every revision fail its startup probe
// with a message that does not mention the port.
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
  for (const ins of instructions(repo.read('Dockerfile') ?? '')) {
    if (ins.keyword === 'EXPOSE')
      for (const p of ins.args.split(/\s+/))
        seen.push({ where: `Dockerfile:${ins.line} EXPOSE`, port: Number.parseInt(p, 10) });
    const env = ins.keyword === 'ENV' && /(?:^|\s)PORT(?:=|\s+)["']?(\d+)/.exec(ins.args);
    if (env) seen.push({ where: `Dockerfile:${ins.line} ENV PORT`, port: Number(env[1]) });
  }
  const svc = service(repo);
  if (svc) {
    const cp = svc.ports?.[0]?.containerPort;
    seen.push({
      where: `${SERVICE_YAML} containerPort${cp ? '' : ' (unset: 8080)'}`,
      port: cp ?? 8080,
    });
    for (const [kind, probe] of [
      ['startupProbe', svc.startupProbe],
      ['livenessProbe', svc.livenessProbe],
    ] as const) {
      const p = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
      if (p !== undefined) seen.push({ where: `${SERVICE_YAML} ${kind} port`, port: p });
    }
    if (svc.envValues.has('PORT'))
      found.push({
        id: 'port-env-reserved',
        severity: 'error',
        message: `${SERVICE_YAML} sets env PORT, which Cloud Run reserves and rejects; it sets PORT from containerPort`,
        fix: `Remove PORT from env in ${SERVICE_YAML}; set ports[0].containerPort instead`,
        file: SERVICE_YAML,
      });
  }
  for (const cmd of deployPaths(repo).commands)
    if (GCLOUD_RUN.test(cmd.text))
      for (const v of flagValues(cmd.text, '--port'))
        seen.push({ where: `${cmd.file} --port`, port: Number(v) });

  const ports = seen.filter((s) => Number.isInteger(s.port));
  const expected = app ?? 8080;
  const wrong = ports.filter((s) => s.port !== expected);
  if (new Set(ports.map((s) => s.port)).size > 1)
    found.push({
      id: 'port-mismatch',
      severity: 'error',
      message: `The port differs between places: ${ports.map((s) => `${s.where} = ${s.port}`).join('; ')}`,
      fix: `Use ${expected} everywhere: ${wrong.map((s) => s.where).join(', ')} -> ${expected}`,
    });
  return found;
}
