// Load shedding on the routes of the scope it is registered in, with
// @fastify/under-pressure: while the event loop runs late by more than
// SHED_EVENT_LOOP_DELAY_MS (averaged over a sample), requests get a 503
// with Retry-After instead of joining the queue. Probes are registered
// outside this scope, so /live keeps answering.
//
// The default (200 ms) was set by measurement: 80 concurrent connections
// (Cloud Run's containerConcurrency) saturating one CPU on GET by id kept the
// mean delay under 20 ms (nothing shed with the threshold at 20 ms), so
// shedding starts only when something blocks the loop, not at full load.
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/env.ts';
import { ApiError } from '../errors/api-error.ts';
import type { Count } from '../metrics/runtime.ts';

const RETRY_AFTER_S = 1;
// With request-based billing Cloud Run throttles the CPU between requests,
// and a timer that fires late after such a pause looks like a late loop. A
// loop that was late because it was busy is also near fully utilised; one
// that slept through a pause is not.
const BUSY_UTILISATION = 0.9;

export default fp<{ config: Config; count: Count }>(
  async (app: FastifyInstance, { config, count }) => {
    if (config.shedEventLoopDelayMs === 0) return;
    await app.register(underPressure, {
      maxEventLoopDelay: config.shedEventLoopDelayMs,
      eventLoopUtilizationMode: 'interval',
      pressureHandler: () => {
        if (app.memoryUsage().eventLoopUtilized < BUSY_UTILISATION) return;
        count('requestsShed');
        return Promise.reject(
          new ApiError(
            503,
            'Overloaded; retry shortly',
            { retry_after_seconds: RETRY_AFTER_S },
            { 'retry-after': String(RETRY_AFTER_S) },
          ),
        );
      },
    });
  },
  { name: 'load-shedding' },
);
