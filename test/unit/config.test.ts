import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, loadDotEnv } from '../../src/config/env.ts';

describe('config', () => {
  test('defaults: port 8080 on all interfaces, development, embedded database', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.environment, 'development');
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.migrateOnStart, false);
    assert.equal(c.accessLog, true);
    assert.deepEqual(c.corsOrigins, []);
    assert.equal(c.shutdownTimeoutMs, 8000);
    assert.ok(c.shutdownTimeoutMs < 10_000, 'inside Cloud Run’s 10 s');
  });

  test('production: access log off unless asked for, no pretty logs, DATABASE_URL required', () => {
    const production = { ENVIRONMENT: 'production', DATABASE_URL: 'postgres://u:p@db/app' };
    const c = loadConfig(production, true);
    assert.equal(c.accessLog, false);
    assert.equal(c.logPretty, false);
    assert.equal(loadConfig({ ...production, ACCESS_LOG: 'true' }).accessLog, true);
    assert.equal(loadConfig({}, true).logPretty, true, 'pretty on a terminal outside production');
    assert.throws(
      () => loadConfig({ ENVIRONMENT: 'production' }),
      (err: Error) =>
        err instanceof ConfigError &&
        /^DATABASE_URL is required when ENVIRONMENT=production: /.test(err.message) &&
        /example: DATABASE_URL=postgres:\/\/.*host=\/cloudsql\//.test(err.message) &&
        !err.message.includes('\n'),
    );
  });

  test('booleans take the usual spellings', () => {
    for (const [raw, value] of [
      ['yes', true],
      ['ON', true],
      ['1', true],
      ['no', false],
      ['off', false],
      ['0', false],
    ] as const)
      assert.equal(loadConfig({ MIGRATE_ON_START: raw }).migrateOnStart, value, raw);
  });

  test('a bad value names the variable, the problem and an example, on one line', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: 'abc' }, /^Invalid PORT="abc": must be a whole number \(example: PORT=8080\)$/],
      [{ PORT: '70000' }, /^Invalid PORT="70000": must be between 1 and 65535/],
      [
        { ENVIRONMENT: 'prod' },
        /^Invalid ENVIRONMENT="prod": must be one of development, test, staging, production/,
      ],
      [{ LOG_LEVEL: 'loud' }, /^Invalid LOG_LEVEL="loud": must be one of fatal, error, warn, info/],
      [
        { DB_POOL_SIZE: '0' },
        /^Invalid DB_POOL_SIZE="0": must be between 1 and 1000 \(example: DB_POOL_SIZE=10\)$/,
      ],
      [{ ACCESS_LOG: 'maybe' }, /^Invalid ACCESS_LOG="maybe": must be true or false/],
      [
        { CORS_ORIGINS: 'app.example.com' },
        /^Invalid CORS_ORIGINS=.*"app.example.com" is not an origin/,
      ],
      [
        { DATABASE_URL: 'mysql://x' },
        /^Invalid DATABASE_URL="<hidden>": must be a postgres:\/\/ URL/,
      ],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => loadConfig(env),
        (err: Error) =>
          err instanceof ConfigError && message.test(err.message) && !err.message.includes('\n'),
        JSON.stringify(env),
      );
    }
  });

  test('a bad DATABASE_URL is never echoed: it may hold a password', () => {
    assert.throws(
      () => loadConfig({ DATABASE_URL: 'mysql://user:s3cret@host/db' }),
      (err: Error) => !err.message.includes('s3cret'),
    );
  });

  test('CORS origins are a comma-separated list', () => {
    assert.deepEqual(
      loadConfig({ CORS_ORIGINS: 'https://a.example.com, http://localhost:3000' }).corsOrigins,
      ['https://a.example.com', 'http://localhost:3000'],
    );
  });

  test('.env fills what the environment leaves unset, outside production only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runway-env-'));
    const file = join(dir, '.env');
    writeFileSync(file, 'PORT=9999\nAPP_NAME="From file"\n');
    const env: Record<string, string | undefined> = { PORT: '7000' };
    loadDotEnv(env, file);
    assert.equal(env.PORT, '7000');
    assert.equal(env.APP_NAME, 'From file');
    const prod: Record<string, string | undefined> = { ENVIRONMENT: 'production' };
    loadDotEnv(prod, file);
    assert.equal(prod.APP_NAME, undefined);
  });
});

describe('DATABASE_URL', () => {
  test('the URL forms are accepted, Cloud SQL through its unix socket included', () => {
    for (const url of [
      'postgres://u:p@db:5432/app',
      'postgresql://u@127.0.0.1/app',
      'postgres://u:p@/app?host=/cloudsql/proj:europe-west1:db',
    ])
      assert.equal(loadConfig({ DATABASE_URL: url }).databaseUrl, url);
  });

  test('libpq key=value pairs are refused with the URL form as the example', () => {
    assert.throws(
      () =>
        loadConfig({ DATABASE_URL: 'host=/cloudsql/p:r:i dbname=app user=app password=s3cret' }),
      (err: Error) =>
        /^Invalid DATABASE_URL="<hidden>": must be a postgres:\/\/ URL \(example: DATABASE_URL=postgres:\/\//.test(
          err.message,
        ) && !err.message.includes('s3cret'),
    );
  });
});
