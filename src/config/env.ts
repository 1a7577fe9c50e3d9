// The one place that reads the environment. Every setting is declared once,
// in ConfigSchema: its type, bounds, default and meaning (the README's table
// and .env.example are checked against it); InProduction says what
// production changes. A bad value stops the start with one line that names
// the variable, what is wrong and an example. TypeBox's own Default and
// Errors apply the schemas: they interpret them, where Ajv would generate
// and compile code, which costs a cold start tens of ms (docs/performance.md).
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { type SchemaOptions, type Static, type TSchema, Type } from '@sinclair/typebox';
import { Errors, type ValueError } from '@sinclair/typebox/errors';
import { Default } from '@sinclair/typebox/value';
import { normalizeBooleans } from '../http/validation.ts';

const ENVIRONMENTS = ['development', 'test', 'staging', 'production'] as const;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const SAMPLERS = [
  'parentbased_traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'traceidratio',
  'always_on',
  'always_off',
] as const;
// Asymmetric only: a token verified with a public key can never be one that key's holder forged.
const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

const oneOf = <T extends string>(values: readonly T[], options: SchemaOptions) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  );
const whole = (dflt: number, minimum: number, maximum: number, description: string) =>
  Type.Integer({ default: dflt, minimum, maximum, description });

const shown = 'shown by `/`, `/health`, the docs and error reports';

// `errorMessage` replaces the generic problem in the one-line error;
// `sensitive` keeps the value out of it.
export const ConfigSchema = Type.Object({
  PORT: whole(8080, 1, 65535, 'the port to listen on; Cloud Run sets it'),
  HOST: Type.String({ default: '0.0.0.0', description: 'the interface to listen on' }),
  ENVIRONMENT: oneOf(ENVIRONMENTS, {
    default: 'development',
    description:
      'production requires `DATABASE_URL` and changes the defaults marked "in production"',
  }),
  NODE_ENV: Type.Optional(
    Type.String({
      examples: ['production'],
      description:
        '`production` (the image sets it): never the development API key pepper or key, whatever `ENVIRONMENT` says',
    }),
  ),
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
  OTEL_TRACES_EXPORTER: oneOf(['none', 'otlp'], {
    default: 'none',
    description:
      'with `otlp` the requests and their database calls are traced and sent over OTLP/HTTP (protobuf); with `none` no OpenTelemetry code is loaded',
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(
    Type.String({
      pattern: '^https?://',
      errorMessage: 'must be an http:// or https:// URL',
      examples: ['http://127.0.0.1:4318'],
      description:
        'the OTLP receiver (traces go to its `/v1/traces`); unset: `http://localhost:4318`, or Cloud Trace with `CLOUD_TRACE`',
    }),
  ),
  CLOUD_TRACE: Type.Boolean({
    default: false,
    description:
      "`true`: the traces go to Cloud Trace (`https://telemetry.googleapis.com`) with the instance's credentials; needs `GOOGLE_CLOUD_PROJECT`",
  }),
  OTEL_SERVICE_NAME: Type.Optional(
    Type.String({ description: 'the service name on the traces; unset: `APP_NAME`' }),
  ),
  OTEL_TRACES_SAMPLER: oneOf(SAMPLERS, {
    default: 'parentbased_traceidratio',
    description:
      "which requests are traced: `parentbased_*` follows the caller's decision in `traceparent` or `X-Cloud-Trace-Context` and applies the rest to requests without one",
  }),
  OTEL_TRACES_SAMPLER_ARG: Type.Number({
    default: 1,
    minimum: 0,
    maximum: 1,
    description: 'the share of requests traced by `traceidratio` (`0.1`: one in ten)',
  }),
  OTEL_SDK_DISABLED: Type.Boolean({
    default: false,
    description: '`true`: no tracing, whatever the other `OTEL_` settings say',
  }),
  DOCS_ENABLED: Type.Boolean({
    default: true,
    description:
      '`false`: no `/docs`, `/redoc` or `/openapi.json` (404), for a production service whose API is not to be browsed',
  }),
  SHUTDOWN_TIMEOUT_MS: whole(
    8000,
    100,
    60_000,
    'the whole shutdown happens within this; Cloud Run kills 10 s after SIGTERM',
  ),
  AUTH_DISABLED: Type.Boolean({
    default: false,
    description:
      'the API needs no credentials; staging and production refuse to start with no method of authentication unless this is `true`',
  }),
  API_KEY_PEPPER: Type.Optional(
    Type.String({
      minLength: 32,
      errorMessage: 'must be at least 32 characters: make one with `openssl rand -base64 32`',
      sensitive: true,
      examples: ['<32 or more random characters>'],
      description:
        'the secret the API keys are hashed with (Secret Manager in production); set: API keys are accepted; unset: a fixed, public development pepper in development and test on the embedded database (never with `DATABASE_URL` or `NODE_ENV=production`), no API keys elsewhere',
    }),
  ),
  AUTH_OIDC_ISSUER: Type.Optional(
    Type.String({
      pattern: '^(https://\\S+|http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:\\d+)?(/\\S*)?)$',
      errorMessage: 'must be an https:// URL (http:// only on 127.0.0.1, localhost or [::1])',
      examples: ['https://accounts.example.com'],
      description:
        'accept OIDC bearer tokens from this issuer (its keys found through `/.well-known/openid-configuration`)',
    }),
  ),
  AUTH_OIDC_AUDIENCE: Type.Optional(
    Type.String({
      examples: ['https://api.example.com'],
      description: 'the `aud` the OIDC tokens must carry; required with `AUTH_OIDC_ISSUER`',
    }),
  ),
  AUTH_OIDC_ALGORITHMS: Type.Array(oneOf(JWT_ALGORITHMS, {}), {
    default: ['RS256', 'ES256'],
    description: 'the only signature algorithms accepted on OIDC tokens',
  }),
  AUTH_OIDC_REQUIRE_ACCESS_TOKEN: Type.Boolean({
    default: false,
    description:
      '`true`: OIDC tokens must be access tokens typed `at+jwt` (RFC 9068), so that an ID token for the same audience cannot pass as one',
  }),
  AUTH_GOOGLE_AUDIENCE: Type.Optional(
    Type.String({
      examples: ['https://runway-abc123-ew.a.run.app'],
      description:
        'accept Google-signed ID tokens with this audience (the service URL, or a custom audience) from `AUTH_GOOGLE_SERVICE_ACCOUNTS`',
    }),
  ),
  AUTH_GOOGLE_SERVICE_ACCOUNTS: Type.Array(
    Type.String({
      pattern: '^[^\\s=@]+@[^\\s=@]+=[\\w:.-]+( [\\w:.-]+)*$',
      errorMessage:
        'is not EMAIL=SCOPE SCOPE like jobs@my-project.iam.gserviceaccount.com=items:read',
    }),
    {
      default: [],
      examples: [['jobs@my-project.iam.gserviceaccount.com=items:read items:write']],
      description: 'comma-separated: each allowed Google identity and its space-separated scopes',
    },
  ),
  RATE_LIMIT_PER_MINUTE: whole(
    1000,
    0,
    100_000_000,
    'requests per minute per key or token subject (per address with `AUTH_DISABLED`); `0`: no limit',
  ),
  RATE_LIMIT_ANON_PER_MINUTE: whole(
    60,
    0,
    100_000_000,
    'requests per minute per client address without a valid credential; `0`: no limit',
  ),
  REDIS_URL: Type.Optional(
    Type.String({
      pattern: '^rediss?://',
      errorMessage: 'must be a redis:// or rediss:// URL',
      sensitive: true,
      examples: ['redis://10.0.0.3:6379'],
      description:
        'share the rate limits of every instance through this Redis (Memorystore); unset: each instance counts in memory',
    }),
  ),
  TRUSTED_PROXY_HOPS: whole(
    0,
    0,
    10,
    "proxies whose `X-Forwarded-For` entries are trusted for the client address: `0` reads the socket's; Cloud Run's front end and the VM's Caddy each add 1 (their declarations set it), an external load balancer in front 1 more",
  ),
  SHED_EVENT_LOOP_DELAY_MS: whole(
    200,
    0,
    60_000,
    'API requests get a 503 with `Retry-After` while the event loop is this late and busy; `0`: off',
  ),
});

/** What ENVIRONMENT=production changes: DATABASE_URL is required, and these defaults. */
export const InProduction = Type.Object({
  DATABASE_URL: Type.String({
    errorMessage:
      "is required when ENVIRONMENT=production: the embedded database lives on the instance's disk and Cloud Run loses it at every restart",
  }),
  ACCESS_LOG: Type.Boolean({ default: false }),
});

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
type Setting = TSchema & {
  errorMessage?: string;
  sensitive?: boolean;
  anyOf?: { const: string }[];
};

function problem({ schema, value }: ValueError): string {
  const s = schema as Setting;
  if (s.errorMessage) return s.errorMessage;
  if (s.anyOf) return `must be one of ${s.anyOf.map((l) => l.const).join(', ')}`;
  if (s.type === 'boolean') return 'must be true or false';
  if (typeof value !== 'number') return `must be a ${s.type === 'number' ? '' : 'whole '}number`;
  return `must be between ${s.minimum} and ${s.maximum}`;
}

function message(error: ValueError, env: Env): string {
  const [, name = '', item] = error.path.split('/');
  const setting = ConfigSchema.properties[name as keyof Settings] as Setting;
  const examples = ((setting.examples as unknown[] | undefined) ?? [setting.default])
    .map((x) => `${name}=${Array.isArray(x) ? x.join(',') : x}`)
    .join(', or ');
  const example = `(example: ${examples})`;
  if (error.value === undefined) return `${name} ${problem(error)} ${example}`;
  const value = setting.sensitive ? '<hidden>' : env[name]?.trim();
  const which = item === undefined ? '' : `${JSON.stringify(error.value)} `;
  return `Invalid ${name}=${JSON.stringify(value)}: ${which}${problem(error)} ${example}`;
}

/** Parses and checks every setting; throws ConfigError with a one-line message. */
export function loadConfig(env: Env = process.env, isTty = false): Config {
  let values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(ConfigSchema.properties) as [string, TSchema][]) {
    const raw = env[name]?.trim();
    if (!raw) continue; // set but empty is unset
    if (schema.type === 'array')
      values[name] = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (schema.type === 'integer' && /^-?\d+$/.test(raw)) values[name] = Number(raw);
    else if (schema.type === 'number' && Number.isFinite(Number(raw))) values[name] = Number(raw);
    else values[name] = raw;
  }
  normalizeBooleans(ConfigSchema, values);
  const production = values.ENVIRONMENT === 'production';
  if (production) values = Default(InProduction, values) as typeof values;
  values = Default(ConfigSchema, values) as typeof values;
  const error =
    Errors(ConfigSchema, values).First() ??
    (production ? Errors(InProduction, values).First() : undefined);
  if (error) throw new ConfigError(message(error, env));
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
