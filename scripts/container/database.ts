// A throwaway PostgreSQL database per run, created on the machine's server and
// dropped at the end, so the test never touches data it did not make.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface ThrowawayDb {
  name: string;
  /** URL of the new database, as the container should see it. */
  url: string;
  drop(): Promise<void>;
}

export async function createThrowawayDb(adminUrl: string): Promise<ThrowawayDb> {
  const name = `runway_ct_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(
      `cannot reach PostgreSQL at ${redact(adminUrl)}: ${(err as Error).message}. ` +
        'Start it, or pass --database-url postgres://USER@HOST:PORT/DB (a role allowed to CREATE DATABASE).',
    );
  }
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}
