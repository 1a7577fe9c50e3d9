// The databases the suite runs against: always the embedded PGlite (in
// memory, started once for the whole run: it takes seconds), and also the
// PostgreSQL that TEST_DATABASE_URL names, when it is set.
import { after } from 'node:test';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { loadConfig } from '../../src/config/env.ts';
import type { Database } from '../../src/db/database.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';

export interface Backend {
  name: 'pglite' | 'postgres';
  url?: string;
  open(): Promise<Database>;
}

const silent = pino({ level: 'silent' });
const opened = new Map<string, Promise<Database>>();

// Shared by every file of the run (one process): closed once, at the end.
after(async () => {
  for (const db of opened.values()) await (await db).close();
});

function shared(name: string, open: () => Promise<Database>): () => Promise<Database> {
  return () => {
    let db = opened.get(name);
    if (!db) {
      db = open().then(async (d) => {
        await d.migrate();
        return d;
      });
      opened.set(name, db);
    }
    return db;
  };
}

/** The embedded database, which every run has. */
export const pglite: Backend = {
  name: 'pglite',
  open: shared('pglite', () => openPglite('memory://', silent)),
};

export function backends(): Backend[] {
  const list: Backend[] = [pglite];
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const config = loadConfig({ ENVIRONMENT: 'test', DATABASE_URL: url });
    list.push({
      name: 'postgres',
      url,
      open: shared('postgres', async () => openPostgres(config, silent, url)),
    });
  }
  return list;
}

export async function truncate(database: Database): Promise<void> {
  await database.db.execute(sql`TRUNCATE items`);
}
