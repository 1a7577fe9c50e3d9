// What Cloud Run cannot see from outside the container, written as one log
// line a minute ("runtime metrics") that log-based metrics read
// (deploy/monitoring/log-metrics/): the database pool's peaks, the database's
// failures, the requests that load shedding and rate limiting refused, and
// the event loop's delay. A log line needs no SDK, no exporter and no
// network call of its own; see docs/observability.md for the costs.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { PoolPeaks } from '../db/database.ts';

export const METRICS_INTERVAL_MS = 60_000;
export const METRICS_MESSAGE = 'runtime metrics';

export type Counter = 'dbErrors' | 'requestsShed' | 'rateLimited';
/**
 * Counts one event for the next metrics line. Load shedding calls it with
 * 'requestsShed' and rate limiting with 'rateLimited' for each request they
 * refuse; the database's query observer (src/db/observe.ts) with 'dbErrors'.
 */
export type Count = (counter: Counter) => void;

const ms = (ns: number) => Math.round(ns / 1e4) / 100;

/** Writes a metrics line every `intervalMs` of what `count` counted; `stop` writes the last one. */
export function startRuntimeMetrics(
  log: Logger,
  poolPeaks: () => PoolPeaks | undefined,
  intervalMs = METRICS_INTERVAL_MS,
): { count: Count; stop: () => void } {
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  const counts: Record<Counter, number> = { dbErrors: 0, requestsShed: 0, rateLimited: 0 };
  const write = () => {
    const pool = poolPeaks();
    log.info(
      {
        runtime: {
          ...(pool && { dbPoolInUse: pool.inUse, dbPoolWaiting: pool.waiting }),
          ...counts,
          eventLoopDelayP99Ms: ms(delay.percentile(99)),
          eventLoopDelayMaxMs: ms(delay.max),
        },
      },
      METRICS_MESSAGE,
    );
    Object.assign(counts, { dbErrors: 0, requestsShed: 0, rateLimited: 0 });
    delay.reset();
  };
  // A timer, not a hook on requests: under request-based billing the CPU is
  // throttled between requests, so a tick that falls there runs at the next
  // request instead; nothing is lost, as nothing is counted in between.
  const timer = setInterval(write, intervalMs).unref();
  return {
    count: (counter) => {
      counts[counter]++;
    },
    stop: () => {
      clearInterval(timer);
      write();
      delay.disable();
    },
  };
}
