// The startup probe must give the container time to start and to reach the
// database: if failureThreshold x periodSeconds + initialDelaySeconds is
// shorter than a measured cold start plus the DB connect timeout, a slow but
// healthy revision is killed and the deploy fails with no app error. The
// probe paths must be routes the app really serves.
import { appConfigDefaults, probePaths } from '../app.ts';
import type { Repo } from '../repo.ts';
import { type Probe, SERVICE_YAML, serviceContainer } from '../service-yaml.ts';
import type { Check, Finding } from '../types.ts';

export const PROBE_BUDGET_FILE = 'deploy/cloudrun/probe-budget.json';

/** Seconds from a key/value pair, using the unit the key names. */
function seconds(key: string, value: number, unit?: string): number {
  const u = (unit ?? key).toLowerCase();
  if (/(^|[^a-z])ms$|millis|_ms|ms$/.test(u) || /Ms$/.test(key)) return value / 1000;
  return value;
}

function flatten(obj: unknown, prefix = '', out: Array<[string, number, string | undefined]> = []) {
  if (obj && typeof obj === 'object') {
    const rec = obj as Record<string, unknown>;
    const unit = typeof rec.unit === 'string' ? rec.unit : undefined;
    for (const [k, v] of Object.entries(rec)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (typeof v === 'number') out.push([key, v, unit]);
      else flatten(v, key, out);
    }
  }
  return out;
}

export interface Budget {
  coldStartSeconds: number | null;
  connectTimeoutSeconds: number | null;
  source: string;
}

export function readBudget(json: unknown): Budget {
  const entries = flatten(json);
  const pick = (re: RegExp, not?: RegExp) => {
    const hit = entries.find(([k]) => re.test(k) && !(not?.test(k) ?? false));
    if (!hit) return null;
    const [k, v, unit] = hit;
    // Prefer the unit named by the leaf key; an object's "unit" applies to its values.
    const leaf = k.split('.').pop() ?? k;
    return seconds(leaf, v, /ms|millis|sec/i.test(leaf) ? undefined : unit);
  };
  return {
    coldStartSeconds: pick(/cold.?start/i, /budget|threshold|period|probe/i),
    connectTimeoutSeconds: pick(/connect.?timeout|db.?connect|database.?connect/i),
    source: PROBE_BUDGET_FILE,
  };
}

export function probeBudget(p: Probe): number {
  return (p.initialDelaySeconds ?? 0) + (p.failureThreshold ?? 3) * (p.periodSeconds ?? 10);
}

export const probesCheck: Check = {
  id: 'probes',
  pitfall: null,
  title: 'Startup probe budget covers cold start + DB connect; probe paths exist',
  async run(repo: Repo): Promise<Finding[]> {
    const findings: Finding[] = [];
    const svc = serviceContainer(repo);
    if (!svc) {
      return [
        {
          id: 'service-yaml-missing',
          pitfall: null,
          severity: 'warning',
          message: `No ${SERVICE_YAML}: probes, port and resources are whatever the deploy command line says`,
          fix: `Add ${SERVICE_YAML} (Knative serving v1) with a startupProbe on the readiness path`,
        },
      ];
    }
    if (svc.error || !svc.container) {
      return [
        {
          id: 'service-yaml-invalid',
          pitfall: null,
          severity: 'error',
          message: `${SERVICE_YAML} has no spec.template.spec.containers[0]${svc.error ? ` (${svc.error})` : ''}`,
          fix: `Fix ${SERVICE_YAML} so that it parses as a Knative Service`,
          file: SERVICE_YAML,
        },
      ];
    }
    const { startupProbe, livenessProbe } = svc.container;

    // Paths
    const paths = await probePaths(repo);
    for (const [kind, probe] of [
      ['startupProbe', startupProbe],
      ['livenessProbe', livenessProbe],
    ] as const) {
      const path = probe?.httpGet?.path;
      if (!path) continue;
      if (paths === null) {
        findings.push({
          id: 'probe-paths-unknown',
          pitfall: null,
          severity: 'warning',
          message: `Cannot verify ${kind} path ${path}: src/health/paths.ts (PROBE_PATHS) not found`,
          fix: "Export PROBE_PATHS = { live: '/live', ready: '/ready' } from src/health/paths.ts and use it for the routes",
        });
      } else if (!paths.includes(path)) {
        findings.push({
          id: 'probe-path-missing',
          pitfall: null,
          severity: 'error',
          message: `${SERVICE_YAML} ${kind} probes ${path}, which the app does not serve (PROBE_PATHS: ${paths.join(', ')})`,
          fix: `Set ${kind}.httpGet.path to one of ${paths.join(', ')} in ${SERVICE_YAML}`,
          file: SERVICE_YAML,
        });
      }
    }

    if (!startupProbe) {
      findings.push({
        id: 'startup-probe-missing',
        pitfall: null,
        severity: 'warning',
        message: `${SERVICE_YAML} has no startupProbe: Cloud Run's default TCP probe passes as soon as the port opens, before the database is reachable`,
        fix: `Add startupProbe.httpGet.path: /ready with a budget of at least cold start + DB connect timeout to ${SERVICE_YAML}`,
        file: SERVICE_YAML,
      });
      return findings;
    }
    if (!startupProbe.httpGet) {
      findings.push({
        id: 'startup-probe-not-http',
        pitfall: null,
        severity: 'warning',
        message: `${SERVICE_YAML} startupProbe is not HTTP: it cannot tell whether the database is reachable`,
        fix: `Use startupProbe.httpGet.path: /ready in ${SERVICE_YAML}`,
        file: SERVICE_YAML,
      });
    }
    const period = startupProbe.periodSeconds ?? 10;
    const threshold = startupProbe.failureThreshold ?? 3;
    if (period * threshold > 240 || (startupProbe.timeoutSeconds ?? 1) >= period) {
      findings.push({
        id: 'startup-probe-limits',
        pitfall: null,
        severity: 'error',
        message: `${SERVICE_YAML} startupProbe breaks Cloud Run's limits (failureThreshold x periodSeconds = ${period * threshold} must be <= 240, timeoutSeconds ${startupProbe.timeoutSeconds ?? 1} must be < periodSeconds ${period})`,
        fix: `Lower failureThreshold or periodSeconds, and keep timeoutSeconds < periodSeconds, in ${SERVICE_YAML}`,
        file: SERVICE_YAML,
      });
    }

    // Budget
    const budget = probeBudget(startupProbe);
    const text = repo.read(PROBE_BUDGET_FILE);
    let measured: Budget | null = null;
    if (text !== null) {
      try {
        measured = readBudget(JSON.parse(text));
      } catch (err) {
        findings.push({
          id: 'probe-budget-invalid',
          pitfall: null,
          severity: 'error',
          message: `${PROBE_BUDGET_FILE} is not valid JSON: ${(err as Error).message}`,
          fix: `Rewrite ${PROBE_BUDGET_FILE} as JSON, e.g. {"coldStartMs": 900, "dbConnectTimeoutMs": 5000}`,
          file: PROBE_BUDGET_FILE,
        });
        return findings;
      }
    }
    if (measured && measured.connectTimeoutSeconds === null) {
      // Fall back to the app's own default connect timeout.
      const cfg = await appConfigDefaults(repo);
      const hit = Object.entries(cfg ?? {}).find(
        ([k, v]) => /connect.?timeout/i.test(k) && typeof v === 'number',
      );
      if (hit) measured.connectTimeoutSeconds = seconds(hit[0], hit[1] as number);
    }
    if (
      !measured ||
      measured.coldStartSeconds === null ||
      measured.connectTimeoutSeconds === null
    ) {
      findings.push({
        id: 'probe-budget-unmeasured',
        pitfall: null,
        severity: 'warning',
        message: measured
          ? `${PROBE_BUDGET_FILE} has no ${measured.coldStartSeconds === null ? 'cold start' : 'DB connect timeout'} figure; the startup budget (${budget} s) cannot be verified`
          : `No ${PROBE_BUDGET_FILE}: the startup probe budget (${budget} s) is not checked against a measured cold start`,
        fix: `Measure the cold start and record it with the DB connect timeout in ${PROBE_BUDGET_FILE}, e.g. {"coldStartMs": 900, "dbConnectTimeoutMs": 5000}`,
        file: PROBE_BUDGET_FILE,
      });
      return findings;
    }
    const need = measured.coldStartSeconds + measured.connectTimeoutSeconds;
    if (budget < need) {
      const threshold2 = Math.ceil((need - (startupProbe.initialDelaySeconds ?? 0)) / period);
      findings.push({
        id: 'startup-probe-budget',
        pitfall: null,
        severity: 'error',
        message: `${SERVICE_YAML} startupProbe allows ${budget} s (initialDelaySeconds ${startupProbe.initialDelaySeconds ?? 0} + failureThreshold ${threshold} x periodSeconds ${period}) but a cold start needs ${need} s (${measured.coldStartSeconds} s start + ${measured.connectTimeoutSeconds} s DB connect timeout, ${PROBE_BUDGET_FILE})`,
        fix: `Set startupProbe.failureThreshold to ${threshold2} (or more) in ${SERVICE_YAML}`,
        file: SERVICE_YAML,
      });
    }
    return findings;
  },
};
