// buildApp(config) assembles the service: external plugins, then the app's
// own cross-cutting plugins, then the routes. It starts nothing; server.ts
// listens, and the tests drive it with inject().
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createAuthenticator } from './auth/authenticator.ts';
import auth, { knownCaller } from './auth/plugin.ts';
import type { Config } from './config/env.ts';
import type { Database } from './db/database.ts';
import { openDatabase } from './db/open.ts';
import docs from './docs/plugin.ts';
import { ErrorBody } from './errors/api-error.ts';
import errorHandler from './errors/error-handler.ts';
import { healthRoutes } from './health/routes.ts';
import { jsonBodies } from './http/json-body.ts';
import requestContext, { requestContextOptions } from './http/request-context.ts';
import { createSerializerCompiler } from './http/serializer.ts';
import { createValidatorCompiler } from './http/validation.ts';
import { itemsRoutes } from './items/routes.ts';
import { Item } from './items/schemas.ts';
import { createItemsService } from './items/service.ts';
import loadShedding from './load-shedding/plugin.ts';
import { createLogger } from './logging/logger.ts';
import { startRuntimeMetrics } from './metrics/runtime.ts';
import rateLimits from './rate-limit/plugin.ts';
import { loadTracing } from './tracing/load.ts';

export interface AppDependencies {
  /** An open database to use (and leave open on close); by default one is opened from the config. */
  database?: Database;
  logger?: Logger;
}

export async function buildApp(
  config: Config,
  deps: AppDependencies = {},
): Promise<FastifyInstance> {
  const logger = deps.logger ?? createLogger(config);
  const tracing = await loadTracing(config);
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: config.bodyLimitBytes,
    // Behind Cloud Run's front end the client is the last X-Forwarded-For
    // entry it adds; entries before that are whatever the client sent.
    trustProxy: (_address, hop) => hop < config.trustedProxyHops,
    // While draining, requests already on open connections are served (not
    // answered with Fastify's own 503 body); /ready reports the drain instead.
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true },
    ...requestContextOptions(config, tracing?.traceOf),
  }).withTypeProvider<TypeBoxTypeProvider>();
  if (tracing) {
    tracing.traceRequests(app.server);
    app.addHook('onRequest', tracing.onRequest);
    // After the requests in flight have finished, so their spans go too.
    app.addHook('onClose', () => tracing.shutdown());
  }
  app.setValidatorCompiler(createValidatorCompiler());
  app.setSerializerCompiler(createSerializerCompiler(() => app.getSchemas()));
  jsonBodies(app);

  const database = deps.database ?? (await openDatabase(config, logger));
  if (!deps.database) app.addHook('onClose', () => database.close());
  const metrics = startRuntimeMetrics(logger, () => database.poolPeaks?.());
  app.addHook('onClose', async () => metrics.stop());
  database.observeQueries({ trace: tracing?.traceQuery, failed: () => metrics.count('dbErrors') });
  const authenticator = createAuthenticator(config, database.db, logger);
  let draining = false;
  let sweep: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    draining = true;
    // A request in flight finishes on its keep-alive connection, which would
    // then stay open until its timeout and hold the close up; each such
    // connection is closed as soon as it falls idle.
    sweep = setInterval(() => app.server.closeIdleConnections(), 25).unref();
  });
  app.addHook('onClose', async () => clearInterval(sweep));

  app.addSchema(ErrorBody);
  app.addSchema(Item);
  await app.register(errorHandler, { knownCaller: knownCaller(authenticator) });
  await app.register(requestContext);
  if (config.corsOrigins.length > 0) {
    const { default: cors } = await import('@fastify/cors');
    // Before the access rule: its preflight route (OPTIONS *) answers browsers,
    // which send no credential with a preflight.
    await app.register(cors, {
      origin: config.corsOrigins.includes('*') ? true : config.corsOrigins,
    });
  }
  // Every route from here on states its scope or that it is public; each
  // route with a scope is authenticated, counted, then authorised.
  await app.register(auth, { authenticator, config, log: logger });
  await app.register(rateLimits, { config, count: metrics.count });
  if (config.docsEnabled) await app.register(docs, { config });

  await app.register(healthRoutes, { config, database, draining: () => draining });
  // The API sheds under overload before anything else runs.
  await app.register(
    async (api) => {
      await api.register(loadShedding, { config, count: metrics.count });
      await api.register(itemsRoutes, { service: createItemsService(database.db) });
    },
    { prefix: '/api/v1/items' },
  );
  return app;
}
