// Checks a Cloud Run service definition's probes against Cloud Run's limits
// and against the measured startup budget. Used by the tests (and readable by
// the doctor): each problem is one sentence that names the field and the fix.

export interface Probe {
  httpGet?: { path?: string; port?: number };
  tcpSocket?: { port?: number };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

export interface StartupBudget {
  coldStartMs: number;
  dbConnectTimeoutMs: number;
}

/** Knative defaults that Cloud Run applies when a field is left out. */
const DEFAULTS = {
  initialDelaySeconds: 0,
  periodSeconds: 10,
  timeoutSeconds: 1,
  failureThreshold: 3,
};

export function startupBudgetSeconds(p: Probe): number {
  const q = { ...DEFAULTS, ...p };
  return q.initialDelaySeconds + q.failureThreshold * q.periodSeconds;
}

export function startupProbeProblems(p: Probe | undefined, budget: StartupBudget): string[] {
  if (!p)
    return [
      'no startupProbe: Cloud Run would send traffic before the database answers; add one on /ready',
    ];
  const q = { ...DEFAULTS, ...p };
  const out: string[] = [];
  if (q.periodSeconds < 1 || q.periodSeconds > 240)
    out.push(`startupProbe.periodSeconds=${q.periodSeconds} must be 1..240`);
  if (q.timeoutSeconds < 1 || q.timeoutSeconds >= q.periodSeconds) {
    out.push(
      `startupProbe.timeoutSeconds=${q.timeoutSeconds} must be at least 1 and less than periodSeconds=${q.periodSeconds}`,
    );
  }
  if (q.initialDelaySeconds < 0 || q.initialDelaySeconds > 240)
    out.push(`startupProbe.initialDelaySeconds=${q.initialDelaySeconds} must be 0..240`);
  if (q.failureThreshold < 1)
    out.push(`startupProbe.failureThreshold=${q.failureThreshold} must be at least 1`);
  if (q.failureThreshold * q.periodSeconds > 240) {
    out.push(
      `startupProbe failureThreshold × periodSeconds = ${q.failureThreshold * q.periodSeconds} s exceeds Cloud Run's 240 s`,
    );
  }
  const needMs = budget.coldStartMs + budget.dbConnectTimeoutMs;
  if (startupBudgetSeconds(p) * 1000 < needMs) {
    out.push(
      `startupProbe allows ${startupBudgetSeconds(p)} s but a start needs ${needMs} ms ` +
        `(cold start ${budget.coldStartMs} ms + database connect timeout ${budget.dbConnectTimeoutMs} ms): raise failureThreshold`,
    );
  }
  return out;
}

export function livenessProbeProblems(p: Probe | undefined): string[] {
  if (!p) return [];
  const q = { ...DEFAULTS, ...p };
  const out: string[] = [];
  if (q.periodSeconds < 1 || q.periodSeconds > 3600)
    out.push(`livenessProbe.periodSeconds=${q.periodSeconds} must be 1..3600`);
  if (q.timeoutSeconds < 1 || q.timeoutSeconds >= q.periodSeconds) {
    out.push(
      `livenessProbe.timeoutSeconds=${q.timeoutSeconds} must be at least 1 and less than periodSeconds=${q.periodSeconds}`,
    );
  }
  return out;
}
