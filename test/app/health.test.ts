// The operational endpoints, and readiness following the database down and back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { READY_REUSE_MS } from '../../src/health/routes.ts';
import { testApp } from '../helpers/app.ts';
import { pglite } from '../helpers/database.ts';
import { assertErrorBody } from '../helpers/items.ts';

describe('operational endpoints', () => {
  let app: FastifyInstance;
  before(async () => {
    ({ app } = await testApp(await pglite.open(), { APP_NAME: 'Items', APP_VERSION: '1.2.3' }));
  });
  after(() => app.close());

  test('GET / welcomes', async () => {
    const res = await app.inject({ url: '/' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      message: 'Welcome to Items',
      version: '1.2.3',
      docs: '/docs',
      redoc: '/redoc',
    });
  });

  test('GET /health reports the service', async () => {
    const body = (await app.inject({ url: '/health' })).json();
    assert.equal(body.status, 'healthy');
    assert.equal(body.app_name, 'Items');
    assert.equal(body.version, '1.2.3');
    assert.equal(body.environment, 'test');
    assert.match(body.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('GET /live and /ready', async () => {
    assert.deepEqual((await app.inject({ url: '/live' })).json(), { status: 'alive' });
    assert.deepEqual((await app.inject({ url: '/ready' })).json(), { status: 'ready' });
  });

  test('every response but a probe’s carries a request id, the caller’s when it is plain', async () => {
    const own = await app.inject({ url: '/health', headers: { 'x-request-id': 'abc-123' } });
    assert.equal(own.headers['x-request-id'], 'abc-123');
    const made = await app.inject({
      url: '/health',
      headers: { 'x-request-id': 'bad id with spaces\u0001' },
    });
    const none = await app.inject({ url: '/nope' });
    const ids = [made, none].map((res) => String(res.headers['x-request-id']));
    for (const id of ids) assert.match(id, /^[\w-]{8}-[\da-z]+$/);
    assert.notEqual(ids[0], ids[1]);
    for (const url of ['/live', '/ready']) {
      const probe = await app.inject({ url, headers: { 'x-request-id': 'abc-123' } });
      assert.equal(probe.headers['x-request-id'], undefined, url);
    }
  });
});

/** The test database, with an availability that the test switches. */
async function switchable(): Promise<Database & { up: boolean; pings: number }> {
  const real = await pglite.open();
  const db = {
    ...real,
    up: true,
    pings: 0,
    async ping() {
      db.pings++;
      if (!db.up) throw new Error('connect ECONNREFUSED 10.0.0.1:5432');
    },
  };
  return db;
}

describe('readiness', () => {
  test('/ready is 503 while the database is down and 200 again when it is back; /live never asks it', async (t) => {
    const database = await switchable();
    const { app } = await testApp(database);
    // Each answer is reused for a second (below): the clock moves on past it.
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const later = () => t.mock.timers.tick(READY_REUSE_MS);
    assert.equal((await app.inject({ url: '/ready' })).statusCode, 200);
    database.up = false;
    later();
    const down = await app.inject({ url: '/ready' });
    assert.equal(down.statusCode, 503);
    assertErrorBody(down.json(), '/ready');
    assert.doesNotMatch(down.body, /10\.0\.0\.1/, 'no internals in the body');
    const pings = database.pings;
    assert.equal((await app.inject({ url: '/live' })).statusCode, 200);
    assert.equal(database.pings, pings, '/live did not touch the database');
    database.up = true;
    later();
    assert.equal((await app.inject({ url: '/ready' })).statusCode, 200);
    await app.close();
  });

  test('a flood of /ready asks the database once while a check is in flight, and reuses its answer for a second', async (t) => {
    const database = await switchable();
    const waiting: (() => void)[] = [];
    const release = () => {
      for (const answer of waiting.splice(0)) answer();
    };
    database.ping = async () => {
      database.pings++;
      await new Promise<void>((r) => waiting.push(r));
    };
    const { app } = await testApp(database);
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const flood = Array.from({ length: 200 }, () => app.inject({ url: '/ready' }));
    await new Promise((r) => setImmediate(r));
    release();
    const answers = await Promise.all(flood);
    assert.deepEqual(new Set(answers.map((r) => r.statusCode)), new Set([200]));
    assert.equal(database.pings, 1, 'one check for the whole flood');
    t.mock.timers.tick(READY_REUSE_MS - 1);
    const reused = app.inject({ url: '/ready' });
    assert.equal((await reused).statusCode, 200);
    assert.equal(database.pings, 1, 'its answer reused within the second');
    t.mock.timers.tick(1);
    const fresh = app.inject({ url: '/ready' });
    await new Promise((r) => setImmediate(r));
    release();
    assert.equal((await fresh).statusCode, 200);
    assert.equal(database.pings, 2, 'asked again after it');
    await app.close();
  });

  test('/ready gives up after READY_TIMEOUT_MS when the database hangs', async () => {
    const database = await switchable();
    database.ping = (ms: number) =>
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms),
      );
    const { app } = await testApp(database, { READY_TIMEOUT_MS: '150' });
    const started = Date.now();
    const res = await app.inject({ url: '/ready' });
    assert.equal(res.statusCode, 503);
    assert.ok(Date.now() - started < 1000);
    await app.close();
  });
});
