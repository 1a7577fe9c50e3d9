// Pitfall 4: the app, the image and Cloud Run must agree on one port. Cloud
// Run sends traffic to containerPort (8080 when unset) and sets $PORT to it; a
// different EXPOSE/ENV PORT or --port makes every revision fail its startup
// probe with a message that does not mention the port.
import { appDefaultPort } from '../app.ts';
import { instructions } from '../dockerfile.ts';
import type { Repo } from '../repo.ts';
import { SERVICE_YAML, serviceContainer } from '../service-yaml.ts';
import { collectSources, DEPLOY_COMMAND, flagValues, words } from '../sources.ts';
import type { Check, Finding } from '../types.ts';

export const portCheck: Check = {
  id: 'port-consistency',
  pitfall: 4,
  title: 'One port in the app, the Dockerfile, service.yaml and deploy flags',
  async run(repo: Repo): Promise<Finding[]> {
    const findings: Finding[] = [];
    const seen: Array<{ where: string; port: number }> = [];
    const app = await appDefaultPort(repo);
    if (app.port !== null) seen.push({ where: app.how, port: app.port });

    const dockerfile = repo.read('Dockerfile');
    if (dockerfile !== null) {
      for (const ins of instructions(dockerfile)) {
        if (ins.keyword === 'EXPOSE') {
          for (const p of ins.args.split(/\s+/)) {
            const n = Number(p.split('/')[0]);
            if (Number.isInteger(n) && n > 0)
              seen.push({ where: `Dockerfile:${ins.line} EXPOSE`, port: n });
          }
        }
        if (ins.keyword === 'ENV') {
          const m = ins.args.match(/(?:^|\s)PORT(?:=|\s+)["']?(\d+)/);
          if (m) seen.push({ where: `Dockerfile:${ins.line} ENV PORT`, port: Number(m[1]) });
        }
      }
    }

    const svc = serviceContainer(repo);
    if (svc?.container) {
      const ports = svc.container.ports ?? [];
      const cp = ports.find((p) => typeof p.containerPort === 'number')?.containerPort;
      seen.push({
        where: `${SERVICE_YAML} containerPort${cp === undefined ? ' (unset: Cloud Run uses 8080)' : ''}`,
        port: cp ?? 8080,
      });
      if ((svc.container.env ?? []).some((e) => e.name === 'PORT')) {
        findings.push({
          id: 'port-env-reserved',
          pitfall: 4,
          severity: 'error',
          message: `${SERVICE_YAML} sets env PORT, which Cloud Run reserves and rejects; it sets PORT from containerPort`,
          fix: `Remove the PORT entry from env in ${SERVICE_YAML} and set ports[0].containerPort instead`,
          file: SERVICE_YAML,
        });
      }
    }

    for (const cmd of collectSources(repo).commands) {
      if (!DEPLOY_COMMAND.test(cmd.text)) continue;
      for (const v of flagValues(words(cmd.text), '--port')) {
        const n = Number(v);
        if (Number.isInteger(n)) seen.push({ where: `${cmd.file} --port`, port: n });
      }
    }

    const distinct = [...new Set(seen.map((s) => s.port))];
    if (distinct.length > 1) {
      const expected = app.port ?? 8080;
      findings.push({
        id: 'port-mismatch',
        pitfall: 4,
        severity: 'error',
        message: `The port differs between places: ${seen.map((s) => `${s.where} = ${s.port}`).join('; ')}`,
        fix: `Use ${expected} everywhere: ${seen
          .filter((s) => s.port !== expected)
          .map((s) => s.where)
          .join(', ')} -> ${expected}`,
      });
    }
    return findings;
  },
};
