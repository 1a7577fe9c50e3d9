// Pitfall 7: the startup probe must allow a measured cold start and keep
// Cloud Run's limits, or healthy revisions are killed; and it must probe the
// process, not the database, or a short database outage keeps new instances
// from starting and sends them into restart backoff. Pitfall 8: every probe
// path must be a route the app serves.
import { APP_PROBE_PATHS, appDefaults, probePaths } from '../app-config.ts';
import type { Repo } from '../repo.ts';
import { type Probe, SERVICE_YAML, service } from '../service-yaml.ts';
import type { Found } from '../types.ts';

export const PROBE_BUDGET = 'deploy/cloudrun/probe-budget.json';
const KINDS = ['startupProbe', 'livenessProbe'] as const;

/** A probe's fields, with Knative's defaults where one is left out. */
const fields = (p: Probe) => ({
  delay: p.initialDelaySeconds ?? 0,
  period: p.periodSeconds ?? 10,
  timeout: p.timeoutSeconds ?? 1,
  threshold: p.failureThreshold ?? 3,
});

/** What a probe breaks of Cloud Run's limits. */
export function probeLimits(kind: (typeof KINDS)[number], p: Probe): string[] {
  const { delay, period, timeout, threshold } = fields(p);
  const maxPeriod = kind === 'startupProbe' ? 240 : 3600;
  return [
    (period < 1 || period > maxPeriod) && `periodSeconds ${period} must be 1-${maxPeriod}`,
    (timeout < 1 || timeout >= period) &&
      `timeoutSeconds ${timeout} must be at least 1 and less than periodSeconds ${period}`,
    (delay < 0 || delay > 240) && `initialDelaySeconds ${delay} must be 0-240`,
    threshold < 1 && `failureThreshold ${threshold} must be at least 1`,
    kind === 'startupProbe' &&
      threshold * period > 240 &&
      `failureThreshold × periodSeconds = ${threshold * period} s must be at most 240 s`,
  ].filter((x) => typeof x === 'string');
}

export async function probes(repo: Repo): Promise<Found[]> {
  const svc = service(repo);
  const at = (id: string, message: string, fix: string, severity: Found['severity'] = 'error') =>
    ({ id, severity, message: `${SERVICE_YAML} ${message}`, fix, file: SERVICE_YAML }) as Found;
  const found: Found[] = [];
  for (const kind of KINDS) {
    const broken = svc?.[kind] ? probeLimits(kind, svc[kind]) : [];
    if (broken.length)
      found.push(
        at(
          'probe-limits',
          `${kind} breaks Cloud Run's limits: ${broken.join('; ')}`,
          `Change ${kind} so that ${broken.join('; ')}`,
        ),
      );
  }
  const startup = svc?.startupProbe;
  if (!startup) {
    if (svc)
      found.push(
        at(
          'startup-probe-missing',
          "has no startupProbe: Cloud Run's default TCP probe passes as soon as the port opens",
          `Add a startupProbe on the liveness path that allows the cold start in ${PROBE_BUDGET}`,
          'warning',
        ),
      );
    return found;
  }
  const ready = (await probePaths(repo))?.ready;
  const needsDb = startup.httpGet?.path === ready;
  if (needsDb)
    found.push(
      at(
        'startup-probe-needs-database',
        `startupProbe probes ${ready}, which needs the database: during a database outage no new instance can start, and each goes into restart backoff`,
        `Probe the process: startupProbe.httpGet.path: /live (the deploy's smoke test checks ${ready} before traffic moves)`,
        'warning',
      ),
    );

  const text = repo.read(PROBE_BUDGET);
  let coldStartMs: unknown;
  try {
    coldStartMs = text && JSON.parse(text).coldStartMs;
  } catch (err) {
    throw new Error(`${PROBE_BUDGET} is not valid JSON (${(err as Error).message})`);
  }
  if (typeof coldStartMs !== 'number')
    return [
      ...found,
      {
        id: 'probe-budget-unmeasured',
        severity: 'warning',
        message: `${PROBE_BUDGET} has no coldStartMs: the startup probe is not checked against a measured cold start`,
        fix: `Measure the cold start (node scripts/container-measure.ts) and record it in ${PROBE_BUDGET}: {"coldStartMs": 2200}`,
        file: PROBE_BUDGET,
      },
    ];
  const connectMs = Number(
    svc.envValues.get('DB_CONNECT_TIMEOUT_MS') ?? (await appDefaults(repo))?.dbConnectTimeoutMs,
  );
  const needMs = coldStartMs + (needsDb ? connectMs : 0);
  const { delay, period, threshold } = fields(startup);
  if ((delay + threshold * period) * 1000 < needMs)
    found.push(
      at(
        'startup-probe-budget',
        `startupProbe allows ${delay + threshold * period} s (initialDelaySeconds ${delay} + failureThreshold ${threshold} × periodSeconds ${period}) but a start needs ${needMs / 1000} s (cold start ${coldStartMs} ms from ${PROBE_BUDGET}${needsDb ? ` + DB_CONNECT_TIMEOUT_MS ${connectMs}` : ''})`,
        `Set startupProbe.failureThreshold to ${Math.ceil((needMs / 1000 - delay) / period)} (or more)`,
      ),
    );
  return found;
}

export async function probePathsExist(repo: Repo): Promise<Found[]> {
  const svc = service(repo);
  const paths = Object.values((await probePaths(repo)) ?? {});
  return KINDS.flatMap((kind): Found[] => {
    const path = svc?.[kind]?.httpGet?.path;
    if (!path || paths.includes(path)) return [];
    return [
      {
        id: 'probe-path-missing',
        severity: 'error',
        message: `${SERVICE_YAML} ${kind} probes ${path}, which is not among the app's PROBE_PATHS (${APP_PROBE_PATHS}: ${paths.join(', ') || 'none'})`,
        fix: `Set ${kind}.httpGet.path to one of PROBE_PATHS in ${SERVICE_YAML}`,
        file: SERVICE_YAML,
      },
    ];
  });
}
