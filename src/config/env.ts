// The one place that reads the environment. Every setting is parsed and
// checked here, so a bad value stops the start with one line that names the
// variable, what is wrong and an example, instead of failing later at random.
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

export const ENVIRONMENTS = ['development', 'test', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  port: number;
  host: string;
  environment: Environment;
  logLevel: LogLevel;
  /** Human-readable logs instead of JSON lines (default: when stdout is a terminal). */
  logPretty: boolean;
  /** One log line per request; Cloud Run already writes one, so off in production. */
  accessLog: boolean;
  /** Requests slower than this are logged even with the access log off. */
  slowRequestMs: number;
  appName: string;
  appVersion: string;
  /** Unset: the embedded PGlite database under `pgliteDir`. */
  databaseUrl: string | undefined;
  pgliteDir: string;
  dbPoolSize: number;
  dbConnectTimeoutMs: number;
  dbStatementTimeoutMs: number;
  /** `/ready` gives up on the database after this long. */
  readyTimeoutMs: number;
  /** Apply migrations at start. Always on for PGlite; for PostgreSQL the deploy runs them. */
  migrateOnStart: boolean;
  corsOrigins: string[];
  /** Enables trace correlation in logs (`logging.googleapis.com/trace`). */
  googleCloudProject: string | undefined;
  /** Everything of a shutdown happens within this budget (Cloud Run allows 10 s). */
  shutdownTimeoutMs: number;
  bodyLimitBytes: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function fail(name: string, value: string, problem: string, example: string): never {
  throw new ConfigError(
    `Invalid ${name}=${JSON.stringify(value)}: ${problem} (example: ${name}=${example})`,
  );
}

function read(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function int(
  env: Env,
  name: string,
  dflt: number,
  min: number,
  max: number,
  example = String(dflt),
): number {
  const raw = read(env, name);
  if (raw === undefined) return dflt;
  if (!/^\d+$/.test(raw)) fail(name, raw, 'must be a whole number', example);
  const n = Number(raw);
  if (n < min || n > max) fail(name, raw, `must be between ${min} and ${max}`, example);
  return n;
}

function bool(env: Env, name: string, dflt: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return dflt;
  const v = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return fail(name, raw, 'must be true or false', 'true');
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], dflt: T): T {
  const raw = read(env, name);
  if (raw === undefined) return dflt;
  const v = raw.toLowerCase();
  if ((allowed as readonly string[]).includes(v)) return v as T;
  return fail(name, raw, `must be one of ${allowed.join(', ')}`, dflt);
}

function databaseUrl(env: Env): string | undefined {
  const raw = read(env, 'DATABASE_URL');
  if (raw === undefined) return undefined;
  // Both the URL form and libpq's key=value form (which Cloud SQL guides use
  // for unix sockets) are accepted; anything else is a typo worth stopping on.
  if (/^postgres(ql)?:\/\//.test(raw) || /^\s*\w+\s*=/.test(raw)) return raw;
  return fail(
    'DATABASE_URL',
    '<hidden>',
    'must be a postgres:// URL or libpq key=value pairs',
    'postgres://USER:PASSWORD@HOST:5432/DB',
  );
}

/** Parses and checks every setting; throws ConfigError with a one-line message. */
export function loadConfig(env: Env = process.env, isTty = false): Config {
  const environment = oneOf(env, 'ENVIRONMENT', ENVIRONMENTS, 'development');
  const production = environment === 'production';
  const dbUrl = databaseUrl(env);
  if (production && dbUrl === undefined) {
    throw new ConfigError(
      'DATABASE_URL is required when ENVIRONMENT=production: the embedded database lives on the ' +
        "instance's disk and Cloud Run loses it at every restart. Set DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DB " +
        '(Cloud SQL: postgres://USER:PASSWORD@/DB?host=/cloudsql/PROJECT:REGION:INSTANCE)',
    );
  }
  const corsRaw = read(env, 'CORS_ORIGINS');
  const corsOrigins = corsRaw
    ? corsRaw
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean)
    : [];
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      fail(
        'CORS_ORIGINS',
        corsRaw as string,
        `"${origin}" is not an origin like https://app.example.com`,
        'https://app.example.com,http://localhost:3000',
      );
    }
  }
  return {
    port: int(env, 'PORT', 8080, 1, 65535),
    host: read(env, 'HOST') ?? '0.0.0.0',
    environment,
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, environment === 'test' ? 'warn' : 'info'),
    logPretty: bool(env, 'LOG_PRETTY', isTty && !production),
    accessLog: bool(env, 'ACCESS_LOG', !production),
    slowRequestMs: int(env, 'SLOW_REQUEST_MS', 1000, 1, 3_600_000),
    appName: read(env, 'APP_NAME') ?? 'runway',
    appVersion: read(env, 'APP_VERSION') ?? '0.1.0',
    databaseUrl: dbUrl,
    pgliteDir: read(env, 'PGLITE_DIR') ?? './data',
    dbPoolSize: int(env, 'DB_POOL_SIZE', 10, 1, 1000),
    dbConnectTimeoutMs: int(env, 'DB_CONNECT_TIMEOUT_MS', 5000, 100, 120_000),
    dbStatementTimeoutMs: int(env, 'DB_STATEMENT_TIMEOUT_MS', 30_000, 0, 3_600_000),
    readyTimeoutMs: int(env, 'READY_TIMEOUT_MS', 2000, 100, 60_000),
    migrateOnStart: bool(env, 'MIGRATE_ON_START', dbUrl === undefined),
    corsOrigins,
    googleCloudProject: read(env, 'GOOGLE_CLOUD_PROJECT'),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 8000, 100, 60_000),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1_048_576, 1024, 100 * 1_048_576),
  };
}

/**
 * Reads `.env` into `env` (values already set win), outside production only:
 * on Cloud Run the environment comes from the service definition.
 */
export function loadDotEnv(env: Env = process.env, file = '.env'): void {
  if (env.ENVIRONMENT?.trim().toLowerCase() === 'production' || !existsSync(file)) return;
  for (const [key, value] of Object.entries(parseEnv(readFileSync(file, 'utf8')))) {
    if (env[key] === undefined) env[key] = value;
  }
}
