// DATABASE_URL comes as a URL or, as in Cloud SQL's guides for unix sockets,
// as libpq key=value pairs ("host=/cloudsql/P:R:I dbname=app user=app ...").
// node-postgres reads only the URL form, so the pairs are translated here.
import type { ClientConfig } from 'pg';

const KEYS: Record<string, keyof ClientConfig> = {
  host: 'host',
  hostaddr: 'host',
  port: 'port',
  dbname: 'database',
  user: 'user',
  password: 'password',
  application_name: 'application_name',
};

export function parseKeyValue(dsn: string): ClientConfig {
  const out: Record<string, unknown> = {};
  // value: 'single quoted with \' escapes' or a bare word
  const pair = /\s*(\w+)\s*=\s*(?:'((?:\\.|[^'\\])*)'|(\S*))/gy;
  let m: RegExpExecArray | null = pair.exec(dsn);
  let consumed = 0;
  while (m !== null) {
    consumed = pair.lastIndex;
    const key = m[1] as string;
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
    const target = KEYS[key];
    if (target === 'port') out.port = Number(value);
    else if (target) out[target] = value;
    else if (key === 'sslmode')
      out.ssl = value === 'disable' ? false : { rejectUnauthorized: value === 'verify-full' };
    m = pair.exec(dsn);
  }
  if (dsn.slice(consumed).trim() !== '') {
    throw new Error(
      'DATABASE_URL: cannot read the key=value pairs (example: host=/cloudsql/PROJECT:REGION:INSTANCE dbname=app user=app password=secret)',
    );
  }
  return out as ClientConfig;
}

export function connectionConfig(databaseUrl: string): ClientConfig {
  return /^postgres(ql)?:\/\//.test(databaseUrl)
    ? { connectionString: databaseUrl }
    : parseKeyValue(databaseUrl);
}
