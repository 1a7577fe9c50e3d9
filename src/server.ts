// Starts the process: reads the config, builds the app, listens on $PORT
// (Cloud Run sends traffic and probes there) and wires the shutdown.
import { buildApp } from './app.ts';
import { ConfigError, loadConfig, loadDotEnv } from './config/env.ts';
import { installGracefulShutdown } from './shutdown/graceful.ts';

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
