// Pitfalls 7 and 8 (../pitfalls.ts): probes within Cloud Run's limits and the
// measured cold start, on the process, on paths the app serves.
import { APP_PROBE_PATHS, appDefaults, probePaths } from '../app-config.ts';
import type { Repo } from '../repo.ts';
import { type Probe, SERVICE_YAML, service } from '../service-yaml.ts';
import type { Found } from '../types.ts';

export const PROBE_BUDGET = 'deploy/cloudrun/probe-budget.json';
const KINDS = ['startupProbe', 'livenessProbe'] as const;
const at = (id: string, message: string, fix: string, severity: Found['severity'] = 'error') =>
  ({ id, severity, message: `${SERVICE_YAML} ${message}`, fix, file: SERVICE_YAML }) as Found;

/** What a probe breaks of Cloud Run's limits (Knative's defaults where a field is left out). */
export function probeLimits(kind: (typeof KINDS)[number], p: Probe): string[] {
  const { periodSeconds: period = 10, timeoutSeconds: timeout = 1 } = p;
  const { failureThreshold: threshold = 3, initialDelaySeconds: delay = 0 } = p;
  const maxPeriod = kind === 'startupProbe' ? 240 : 3600;
  return [
    (period < 1 || period > maxPeriod) && `periodSeconds ${period} must be 1-${maxPeriod}`,
    (timeout < 1 || timeout >= period) &&
      `timeoutSeconds ${timeout} must be at least 1 and less than periodSeconds ${period}`,
    (delay > 240 || threshold < 1) && 'initialDelaySeconds ≤ 240 and failureThreshold ≥ 1',
    kind === 'startupProbe' &&
      threshold * period > 240 &&
      `failureThreshold × periodSeconds = ${threshold * period} s must be at most 240 s`,
  ].filter((x) => typeof x === 'string');
}

export async function probes(repo: Repo): Promise<Found[]> {
  const svc = service(repo);
  const found = KINDS.flatMap((kind) => {
    const broken = svc?.[kind] ? probeLimits(kind, svc[kind]).join('; ') : '';
    const message = `${kind} breaks Cloud Run's limits: ${broken}`;
    return broken ? [at('probe-limits', message, `Change ${kind} so that ${broken}`)] : [];
  });
  // Without one, Cloud Run's default TCP startup probe waits for the port: the process, too.
  const startup = svc?.startupProbe;
  if (!startup) return found;
  const ready = (await probePaths(repo))?.ready;
  const needsDb = startup.httpGet?.path === ready;
  if (needsDb) {
    const message = `startupProbe probes ${ready}, which needs the database: during a database outage no new instance can start, and each goes into restart backoff`;
    const fix = `Probe the process: startupProbe.httpGet.path: /live (the deploy's smoke test checks ${ready} before traffic moves)`;
    found.push(at('startup-probe-needs-database', message, fix, 'warning'));
  }

  const text = repo.read(PROBE_BUDGET);
  let coldStartMs: unknown;
  try {
    coldStartMs = text && JSON.parse(text).coldStartMs;
  } catch (err) {
    throw new Error(`${PROBE_BUDGET} is not valid JSON (${(err as Error).message})`);
  }
  if (typeof coldStartMs !== 'number') {
    const message = `${PROBE_BUDGET} has no coldStartMs: the startup probe is not checked against a measured cold start`;
    const fix = `Measure the cold start (node scripts/container-measure.ts) and record it in ${PROBE_BUDGET}: {"coldStartMs": 2200}`;
    return [
      ...found,
      { id: 'probe-budget-unmeasured', severity: 'warning', message, fix, file: PROBE_BUDGET },
    ];
  }
  const app = await appDefaults(repo);
  const connectMs = Number(svc.envValues.get('DB_CONNECT_TIMEOUT_MS') ?? app?.dbConnectTimeoutMs);
  const needMs = coldStartMs + (needsDb ? connectMs : 0);
  const { initialDelaySeconds: delay = 0, periodSeconds: period = 10 } = startup;
  const { failureThreshold: threshold = 3 } = startup;
  if ((delay + threshold * period) * 1000 < needMs) {
    const message = `startupProbe allows ${delay + threshold * period} s (initialDelaySeconds ${delay} + failureThreshold ${threshold} × periodSeconds ${period}) but a start needs ${needMs / 1000} s (cold start ${coldStartMs} ms from ${PROBE_BUDGET}${needsDb ? ` + DB_CONNECT_TIMEOUT_MS ${connectMs}` : ''})`;
    const fix = `Set startupProbe.failureThreshold to ${Math.ceil((needMs / 1000 - delay) / period)} (or more)`;
    found.push(at('startup-probe-budget', message, fix));
  }
  return found;
}

export async function probePathsExist(repo: Repo): Promise<Found[]> {
  const svc = service(repo);
  const paths = Object.values((await probePaths(repo)) ?? {});
  return KINDS.flatMap((kind) => {
    const path = svc?.[kind]?.httpGet?.path;
    if (!path || paths.includes(path)) return [];
    const message = `${kind} probes ${path}, which is not among the app's PROBE_PATHS (${APP_PROBE_PATHS}: ${paths.join(', ') || 'none'})`;
    return [at('probe-path-missing', message, `Set ${kind}.httpGet.path to one of PROBE_PATHS`)];
  });
}
