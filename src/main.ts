// The service's process: reads the config, builds the app, listens on $PORT
// (Cloud Run sends traffic and probes there) and wires the shutdown.
import { buildApp } from './app.ts';
import { ConfigError, loadConfig, loadDotEnv } from './config/env.ts';
import { installGracefulShutdown } from './shutdown/graceful.ts';

export async function main(): Promise<void> {
  loadDotEnv();
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env, process.stdout.isTTY === true);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }

  const app = await buildApp(config).catch((err: unknown) => {
    console.error(`Startup failed: ${(err as Error).message}`);
    process.exit(1);
  });
  installGracefulShutdown(app, config.shutdownTimeoutMs);
  await app.listen({ port: config.port, host: config.host });
  if (config.environment === 'development') {
    app.log.info(`API docs: http://localhost:${config.port}/docs (reference: /redoc)`);
  }
}

/**
 * Runs the start-up path without listening or touching a database, so that
 * the compile cache (see server.ts) holds the code a real start compiles.
 */
export async function warmUp(): Promise<void> {
  const config = loadConfig({
    ENVIRONMENT: 'production',
    DATABASE_URL: 'postgres://warm-up@127.0.0.1:9/none',
    API_KEY_PEPPER: 'warm-up-pepper-that-signs-no-real-key',
    LOG_LEVEL: 'silent',
  });
  const app = await buildApp(config);
  for (const url of ['/live', '/', '/health', '/api/v1/items/not-an-id', '/missing'])
    await app.inject({ url });
  await app.close();
}
