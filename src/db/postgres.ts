// A real PostgreSQL (Cloud SQL in production) through a node-postgres pool.
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import { type AppDatabase, type Database, type PoolPeaks, withTimeout } from './database.ts';
import { migrationsFolder } from './migrations-folder.ts';
import { observeQueries } from './observe.ts';
import * as schema from './schema.ts';

// Any constant will do: it only has to be the same for every instance, so
// that two instances starting at once do not apply the same migration twice.
const MIGRATION_LOCK = 7_242_001;

export function openPostgres(config: Config, log: Logger, url: string): Database {
  const base: pg.ClientConfig = {
    connectionString: url,
    connectionTimeoutMillis: config.dbConnectTimeoutMs,
    keepAlive: true,
    application_name: config.appName,
    ...(config.dbStatementTimeoutMs > 0 ? { statement_timeout: config.dbStatementTimeoutMs } : {}),
  };
  const pool = new pg.Pool({ ...base, max: config.dbPoolSize, idleTimeoutMillis: 30_000 });
  // An idle client whose server went away emits here; without a listener that
  // would crash the process instead of letting the pool replace the client.
  pool.on('error', (err) => log.warn({ err }, 'idle database connection lost'));
  const observe = observeQueries(pool);
  const now = (): PoolPeaks => ({
    inUse: pool.totalCount - pool.idleCount,
    waiting: pool.waitingCount,
  });
  let peaks = now();
  // A query that waited for a connection is handed one here: the moment the
  // pool is busiest.
  pool.on('acquire', () => {
    const { inUse, waiting } = now();
    peaks = { inUse: Math.max(peaks.inUse, inUse), waiting: Math.max(peaks.waiting, waiting) };
  });
  const db = drizzle({ client: pool, schema }) as unknown as AppDatabase;

  return {
    db,
    kind: 'postgres',
    async ping(timeoutMs) {
      await withTimeout(pool.query('SELECT 1'), timeoutMs, 'database ping');
    },
    async migrate() {
      const client = new pg.Client(base);
      await client.connect();
      try {
        const lockDb = drizzle({ client, schema });
        await lockDb.execute(sql`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
        await migrate(lockDb, { migrationsFolder: migrationsFolder() });
      } finally {
        await client.end();
      }
    },
    async close() {
      await pool.end();
    },
    observeQueries: observe,
    poolPeaks() {
      const seen = peaks;
      peaks = now();
      return seen;
    },
  };
}
