// The gcloud commands that create runway's monitoring in a project from the
// files beside this one: the log-based metrics that read the runtime
// metrics line, the dashboard, the uptime check on /live and the alert
// policies. The SLOs (slo/) have no gcloud command: they are created through
// the Service Monitoring API. PROJECT_ID in a file is replaced by the project.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MONITORING_DIR = fileURLToPath(new URL('.', import.meta.url));

const files = (folder: string) =>
  readdirSync(join(MONITORING_DIR, folder))
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(MONITORING_DIR, folder, f));

/** The files to read, with PROJECT_ID filled in, written under `tmp`. */
function filled(file: string, project: string, tmp: string): string {
  const out = join(tmp, file.slice(MONITORING_DIR.length).replaceAll('/', '_'));
  writeFileSync(out, readFileSync(file, 'utf8').replaceAll('PROJECT_ID', project));
  return out;
}

/** Each command as gcloud's argv, for `project` and the service's host (for the uptime check). */
export function monitoringCommands(project: string, host: string, tmp: string): string[][] {
  const p = `--project=${project}`;
  return [
    ...files('log-metrics').map((f) => [
      'logging',
      'metrics',
      'create',
      f.slice(f.lastIndexOf('/') + 1, -'.json'.length),
      `--config-from-file=${filled(f, project, tmp)}`,
      p,
    ]),
    [
      'monitoring',
      'dashboards',
      'create',
      `--config-from-file=${filled(join(MONITORING_DIR, 'dashboard.json'), project, tmp)}`,
      p,
    ],
    [
      'monitoring',
      'uptime',
      'create',
      'runway-live',
      '--resource-type=uptime-url',
      `--resource-labels=host=${host},project_id=${project}`,
      '--path=/live',
      '--protocol=https',
      '--period=1',
      '--timeout=10',
      p,
    ],
    ...files('policies').map((f) => [
      'alpha',
      'monitoring',
      'policies',
      'create',
      `--policy-from-file=${filled(f, project, tmp)}`,
      p,
    ]),
  ];
}
