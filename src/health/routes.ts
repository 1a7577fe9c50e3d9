// Operational endpoints. /live says the process runs and never touches the
// database (a liveness failure restarts the instance, and a database outage
// is no reason to). /ready says whether to send traffic: the database
// answers and the service is not shutting down.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Config } from '../config/env.ts';
import type { Database } from '../db/database.ts';
import { ErrorBody } from '../errors/api-error.ts';
import { sendError } from '../errors/error-handler.ts';
import { PROBE_PATHS } from './paths.ts';

export interface HealthOptions {
  config: Config;
  database: Database;
  /** True once shutdown has begun: readiness fails so no new traffic arrives. */
  draining: () => boolean;
}

const tags = ['operations'];
// Anyone may call these (src/auth/plugin.ts): the probes come from the platform.
const anyone = { public: true } as const;
// The probes' bodies are small constants, written by JSON.stringify. A
// schema's serializer is built on its route's first response, and the first
// one built validates its schema with a URI pattern that V8 then compiles:
// ~15 ms on the first /live, which is the start-up probe Cloud Run waits for.
const serializerCompiler = () => JSON.stringify;
// /ready is public and unlimited: one database check is in flight at a time,
// and its answer serves every /ready for this long after it came.
export const READY_REUSE_MS = 1000;

export const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (
  app,
  { config, database, draining },
) => {
  let last: { answer: Promise<void>; until: number } | undefined;
  const databaseAnswers = () => {
    if (last && Date.now() < last.until) return last.answer;
    const check = { answer: database.ping(config.readyTimeoutMs), until: Number.POSITIVE_INFINITY };
    last = check;
    check.answer.then(
      () => {
        check.until = Date.now() + READY_REUSE_MS;
      },
      (err: unknown) => {
        check.until = Date.now() + READY_REUSE_MS;
        app.log.warn({ err }, 'readiness check failed');
      },
    );
    return check.answer;
  };

  const welcome = {
    message: `Welcome to ${config.appName}`,
    version: config.appVersion,
    docs: '/docs',
    redoc: '/redoc',
  };

  app.get(
    '/',
    {
      config: anyone,
      schema: {
        tags,
        summary: 'Welcome',
        response: {
          200: Type.Object({
            message: Type.String(),
            version: Type.String(),
            docs: Type.String(),
            redoc: Type.String(),
          }),
        },
      },
    },
    async () => welcome,
  );

  app.get(
    '/health',
    {
      config: anyone,
      schema: {
        tags,
        summary: 'Service information',
        response: {
          200: Type.Object({
            status: Type.Literal('healthy'),
            app_name: Type.String(),
            version: Type.String(),
            environment: Type.String(),
            timestamp: Type.String({ format: 'date-time' }),
          }),
        },
      },
    },
    async () => ({
      status: 'healthy' as const,
      app_name: config.appName,
      version: config.appVersion,
      environment: config.environment,
      timestamp: new Date().toISOString(),
    }),
  );

  app.get(
    PROBE_PATHS.live,
    {
      config: anyone,
      schema: {
        tags,
        summary: 'Liveness: the process answers (no database)',
        response: { 200: Type.Object({ status: Type.Literal('alive') }) },
      },
      serializerCompiler,
    },
    async () => ({ status: 'alive' as const }),
  );

  app.get(
    PROBE_PATHS.ready,
    {
      config: anyone,
      schema: {
        tags,
        summary: 'Readiness: the database answers and the service is not shutting down',
        response: { 200: Type.Object({ status: Type.Literal('ready') }), 503: Type.Ref(ErrorBody) },
      },
      serializerCompiler,
    },
    async (_request, reply) => {
      if (draining()) return sendError(reply, 503, 'Shutting down', { reason: 'draining' });
      try {
        await databaseAnswers();
        return { status: 'ready' as const };
      } catch {
        return sendError(reply, 503, 'Database unavailable', { database: 'did not answer' });
      }
    },
  );
};
