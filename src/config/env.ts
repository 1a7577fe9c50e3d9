// The one place that reads the environment. Every setting is declared once,
// in ConfigSchema: its type, bounds, default and meaning (the README's table
// and .env.example are checked against it). A bad value stops the start with
// one line that names the variable, what is wrong and an example.
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { type SchemaOptions, type Static, Type } from '@sinclair/typebox';
import type { ErrorObject } from 'ajv';
import { makeAjv, normalizeBooleans } from '../http/validation.ts';

const ENVIRONMENTS = ['development', 'test', 'staging', 'production'] as const;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const oneOf = <T extends string>(values: readonly T[], options: SchemaOptions) =>
  Type.Unsafe<T>({ ...options, type: 'string', enum: values });
const whole = (dflt: number, minimum: number, maximum: number, description: string) =>
  Type.Integer({ default: dflt, minimum, maximum, description });

const shown = 'shown by `/`, `/health`, the docs and error reports';

// `errorMessage` replaces the generic problem in the one-line error;
// `sensitive` keeps the value out of it.
export const ConfigSchema = Type.Object(
  {
    PORT: whole(8080, 1, 65535, 'the port to listen on; Cloud Run sets it'),
    HOST: Type.String({ default: '0.0.0.0', description: 'the interface to listen on' }),
    ENVIRONMENT: oneOf(ENVIRONMENTS, {
      default: 'development',
      description:
        'production requires `DATABASE_URL` and changes the defaults marked "in production"',
    }),
    APP_NAME: Type.String({ default: 'runway', description: shown }),
    APP_VERSION: Type.String({ default: '0.1.0', description: shown }),
    DATABASE_URL: Type.Optional(
      Type.String({
        pattern: '^postgres(ql)?://',
        errorMessage: 'must be a postgres:// URL',
        sensitive: true,
        examples: [
          'postgres://USER:PASSWORD@HOST:5432/DB',
          'postgres://USER:PASSWORD@/DB?host=/cloudsql/PROJECT:REGION:INSTANCE',
        ],
        description:
          'a PostgreSQL to use instead of the embedded database (the second example: Cloud SQL through its unix socket)',
      }),
    ),
    PGLITE_DIR: Type.String({
      default: './data',
      description: 'where the embedded database lives (`memory://` for none on disk)',
    }),
    DB_POOL_SIZE: whole(10, 1, 1000, 'connections in the pool'),
    DB_CONNECT_TIMEOUT_MS: whole(5000, 100, 120_000, 'how long to wait for a new connection'),
    DB_STATEMENT_TIMEOUT_MS: whole(30_000, 0, 3_600_000, 'per statement; `0` for none'),
    READY_TIMEOUT_MS: whole(2000, 100, 60_000, 'how long `/ready` waits for the database'),
    MIGRATE_ON_START: Type.Boolean({
      default: false,
      description:
        'PostgreSQL only: apply migrations at start (the deploy runs them as a job instead); the embedded database is always migrated at start',
    }),
    CORS_ORIGINS: Type.Array(
      Type.String({
        pattern: '^(\\*|https?://[^/\\s]+)$',
        errorMessage: 'is not an origin like https://app.example.com',
      }),
      {
        default: [],
        examples: [['https://app.example.com', 'http://localhost:3000']],
        description: 'comma-separated origins, or `*`; empty: CORS off',
      },
    ),
    BODY_LIMIT_BYTES: whole(1_048_576, 1024, 100 * 1_048_576, 'larger bodies are a 413'),
    LOG_LEVEL: oneOf(LOG_LEVELS, { default: 'info', description: 'the least severe level logged' }),
    LOG_PRETTY: Type.Optional(
      Type.Boolean({
        examples: [true],
        description:
          'human-readable logs instead of JSON lines; unset: on when stdout is a terminal, outside production',
      }),
    ),
    ACCESS_LOG: Type.Boolean({
      default: true,
      description:
        'a log line per request (Cloud Run writes one already); slow requests and 5xx are always logged',
    }),
    SLOW_REQUEST_MS: whole(1000, 1, 3_600_000, 'what counts as slow'),
    GOOGLE_CLOUD_PROJECT: Type.Optional(
      Type.String({
        examples: ['my-project'],
        description: 'links log lines to their trace (`logging.googleapis.com/trace`)',
      }),
    ),
    SHUTDOWN_TIMEOUT_MS: whole(
      8000,
      100,
      60_000,
      'the whole shutdown happens within this; Cloud Run kills 10 s after SIGTERM',
    ),
  },
  {
    // What production changes. ENVIRONMENT's own default is filled in after
    // this is checked, so an unset ENVIRONMENT must not match.
    if: { properties: { ENVIRONMENT: { const: 'production' } }, required: ['ENVIRONMENT'] },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a promise
    then: {
      required: ['DATABASE_URL'],
      errorMessage:
        "is required when ENVIRONMENT=production: the embedded database lives on the instance's disk and Cloud Run loses it at every restart",
      properties: { ACCESS_LOG: { default: false } },
    },
  },
);

type Settings = Static<typeof ConfigSchema>;
type Camel<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Lowercase<Head>}${Capitalize<Camel<Tail>>}`
  : Lowercase<S>;
/** The settings under camel-case names: DB_POOL_SIZE is `dbPoolSize`. */
export type Config = { [K in keyof Settings as Camel<K>]: Settings[K] } & { logPretty: boolean };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;
type PropertySchema = { [key: string]: unknown };

const ajv = makeAjv({ coerceTypes: true, verbose: true });
let validate: ReturnType<typeof ajv.compile> | undefined;

function message(e: ErrorObject, env: Env): string {
  const name = String(e.instancePath.split('/')[1] ?? e.params.missingProperty);
  const property = ConfigSchema.properties[name as keyof Settings] as PropertySchema;
  const own = e.parentSchema as PropertySchema;
  const between = () => `must be between ${own.minimum} and ${own.maximum}`;
  const problems: Record<string, () => string> = {
    type: () => (e.params.type === 'boolean' ? 'must be true or false' : 'must be a whole number'),
    minimum: between,
    maximum: between,
    enum: () => `must be one of ${(own.enum as string[]).join(', ')}`,
  };
  const problem = own.errorMessage ?? problems[e.keyword]?.() ?? e.message;
  const item = e.instancePath.split('/').length > 2 ? `${JSON.stringify(e.data)} ` : '';
  const examples = ((property.examples as unknown[] | undefined) ?? [property.default])
    .map((x) => `${name}=${Array.isArray(x) ? x.join(',') : x}`)
    .join(', or ');
  const value = property.sensitive ? '<hidden>' : env[name]?.trim();
  const what = e.keyword === 'required' ? name : `Invalid ${name}=${JSON.stringify(value)}:`;
  return `${what} ${item}${problem} (example: ${examples})`;
}

/** Parses and checks every setting; throws ConfigError with a one-line message. */
export function loadConfig(env: Env = process.env, isTty = false): Config {
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(ConfigSchema.properties)) {
    const raw = env[name]?.trim();
    if (!raw) continue; // set but empty is unset
    values[name] =
      schema.type === 'array'
        ? raw
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : raw;
  }
  normalizeBooleans(ConfigSchema, values);
  validate ??= ajv.compile(ConfigSchema);
  if (!validate(values)) {
    const first = validate.errors?.find((e) => e.keyword !== 'if') as ErrorObject;
    throw new ConfigError(message(first, env));
  }
  const config = Object.fromEntries(
    Object.entries(values).map(([k, v]) => [
      k.toLowerCase().replace(/_(\w)/g, (_, c: string) => c.toUpperCase()),
      v,
    ]),
  ) as Config;
  config.logPretty ??= isTty && config.environment !== 'production';
  return config;
}

/**
 * Reads `.env` into `env` (values already set win), outside production only:
 * on Cloud Run the environment comes from the service definition.
 */
export function loadDotEnv(env: Env = process.env, file = '.env'): void {
  if (env.ENVIRONMENT?.trim() === 'production' || !existsSync(file)) return;
  for (const [key, value] of Object.entries(parseEnv(readFileSync(file, 'utf8')))) {
    if (env[key] === undefined) env[key] = value;
  }
}
