// Readiness against a real PostgreSQL whose connection is cut and restored,
// through a TCP proxy: 503 while it is down, 200 again when it returns,
// without a restart. Runs when TEST_DATABASE_URL names a PostgreSQL.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/config/env.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { READY_REUSE_MS } from '../../src/health/routes.ts';
import { testApp } from '../helpers/app.ts';
import { assertErrorBody, ITEMS } from '../helpers/items.ts';
import { tcpProxy } from '../helpers/tcp-proxy.ts';

const url = process.env.TEST_DATABASE_URL;

describe('readiness with the database cut and back', {
  skip: url ? false : 'TEST_DATABASE_URL is not set',
}, () => {
  const cleanup: (() => unknown)[] = [];
  after(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  test('503 while PostgreSQL is unreachable, 200 again once it is back', async (t) => {
    const target = new URL(url as string);
    const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    cleanup.push(() => proxy.close());
    const viaProxy = new URL(url as string);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const config = loadConfig({
      ENVIRONMENT: 'test',
      DATABASE_URL: viaProxy.href,
      DB_CONNECT_TIMEOUT_MS: '1000',
      READY_TIMEOUT_MS: '500',
    });
    const database = openPostgres(config, pino({ level: 'silent' }), viaProxy.href);
    await database.migrate();
    cleanup.push(() => database.close());
    const { app } = await testApp(database, { READY_TIMEOUT_MS: '500' });
    cleanup.push(() => app.close());

    assert.equal((await app.inject({ url: '/ready' })).statusCode, 200);
    assert.equal((await app.inject({ url: `${ITEMS}/stats/count` })).statusCode, 200);
    // /ready reuses an answer for a second: the clock moves on past it.
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const later = () => t.mock.timers.tick(READY_REUSE_MS);

    await proxy.cut();
    later();
    const down = await app.inject({ url: '/ready' });
    assert.equal(down.statusCode, 503);
    assertErrorBody(down.json(), '/ready');
    // A request that needs the database is a 503 with the error body, not a 500.
    const list = await app.inject({ url: ITEMS });
    assert.equal(list.statusCode, 503, list.body);
    assertErrorBody(list.json(), ITEMS);
    assert.equal(
      (await app.inject({ url: '/live' })).statusCode,
      200,
      '/live does not depend on the database',
    );

    await proxy.restore();
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      later();
      status = (await app.inject({ url: '/ready' })).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 200, 'ready again without a restart');
    assert.equal((await app.inject({ url: ITEMS })).statusCode, 200);
  });
});
