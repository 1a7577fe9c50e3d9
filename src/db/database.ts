// What the rest of the service sees of the database, whichever engine is behind it.
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { QueryObserver } from './observe.ts';
import type * as schema from './schema.ts';

export type AppDatabase = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  readonly db: AppDatabase;
  readonly kind: 'postgres' | 'pglite';
  /** Resolves when the database answers a query within `timeoutMs`, else rejects. */
  ping(timeoutMs: number): Promise<void>;
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Every query from now on goes through `observer` (spans, failures counted). */
  observeQueries(observer: QueryObserver): void;
  /** The pool's busiest moment since the last call (PostgreSQL only). */
  poolPeaks?(): PoolPeaks;
}

export interface PoolPeaks {
  /** Connections handed out to queries. */
  inUse: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
