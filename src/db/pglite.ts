// The embedded PostgreSQL (PGlite, WebAssembly) used when DATABASE_URL is
// unset, so that one command runs the service with nothing installed. It is
// loaded only here, by dynamic import: it costs seconds and hundreds of MB,
// and a production start never reaches this file.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type AppDatabase, type Database, withTimeout } from './database.ts';
import { migrationsFolder } from './migrations-folder.ts';
import { observeQueries } from './observe.ts';
import * as schema from './schema.ts';

/** `dataDir` is a folder, or `memory://` for a database that lives as long as the process. */
export async function openPglite(dataDir: string, log: Logger): Promise<Database> {
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory && !existsSync(join(dataDir, 'PG_VERSION'))) {
    log.info(
      `Initialising the embedded PostgreSQL in ${dataDir} (first start only; this takes a few seconds)`,
    );
  }
  const [{ PGlite }, { drizzle }, { migrate }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  const client = new PGlite(dataDir);
  await client.waitReady;
  const observe = observeQueries(client);
  const db = drizzle({ client, schema });

  return {
    db: db as unknown as AppDatabase,
    kind: 'pglite',
    async ping(timeoutMs) {
      await withTimeout(client.query('SELECT 1'), timeoutMs, 'database ping');
    },
    async migrate() {
      await migrate(db, { migrationsFolder: migrationsFolder() });
    },
    async close() {
      if (!client.closed) await client.close();
    },
    observeQueries: observe,
  };
}

export function pgliteAvailable(): boolean {
  try {
    import.meta.resolve('@electric-sql/pglite');
    return true;
  } catch {
    return false;
  }
}
