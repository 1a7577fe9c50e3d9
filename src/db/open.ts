// Picks the engine from the config: DATABASE_URL names a real PostgreSQL,
// otherwise the embedded one. The embedded database is migrated here at
// every start; PostgreSQL only with MIGRATE_ON_START (the deploy runs the
// migrations as a job).
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import type { Database } from './database.ts';
import { openPostgres } from './postgres.ts';

export async function openDatabase(config: Config, log: Logger): Promise<Database> {
  const database = config.databaseUrl
    ? openPostgres(config, log, config.databaseUrl)
    : await openEmbedded(config, log);
  if (config.migrateOnStart || database.kind === 'pglite') {
    await database.migrate();
    log.debug('migrations applied');
  }
  return database;
}

async function openEmbedded(config: Config, log: Logger): Promise<Database> {
  const { openPglite, pgliteAvailable } = await import('./pglite.ts');
  if (!pgliteAvailable()) {
    throw new Error(
      'The embedded database (@electric-sql/pglite) is not installed in this build. Set DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DB',
    );
  }
  return openPglite(config.pgliteDir, log);
}
