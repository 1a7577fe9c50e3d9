// `npm run db:migrate` (and `node dist/migrate.js` in the image, which the
// deploy runs as a Cloud Run job before traffic moves): applies the pending
// migrations to the database DATABASE_URL names, then exits.
import { ConfigError, loadConfig, loadDotEnv } from './config/env.ts';
import { openDatabase } from './db/open.ts';
import { createLogger } from './logging/logger.ts';

loadDotEnv();
try {
  const config = {
    ...loadConfig(process.env, process.stdout.isTTY === true),
    migrateOnStart: true,
  };
  const log = createLogger(config);
  const started = Date.now();
  const database = await openDatabase(config, log);
  await database.close();
  log.info({ ms: Date.now() - started, database: database.kind }, 'migrations applied');
  log.flush();
} catch (err) {
  console.error(
    err instanceof ConfigError ? err.message : `Migration failed: ${(err as Error).message}`,
  );
  process.exitCode = 1;
}
