// Rate limits: failed attempts count per client address (so guessing keys
// ends in 429s) while good keys count per key; the client's address is the
// one Cloud Run appends, and a service exposed directly reads the socket's;
// on Redis two instances share one budget, and while Redis is cut each
// instance keeps the limits in memory, then shares them again once it is back.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { newKey } from '../../src/auth/key-format.ts';
import { createKeyStore, type KeyStore } from '../../src/auth/keys.ts';
import type { Database } from '../../src/db/database.ts';
import { testApp } from '../helpers/app.ts';
import { pglite } from '../helpers/database.ts';
import { assertErrorBody, ITEMS } from '../helpers/items.ts';
import { tcpProxy } from '../helpers/tcp-proxy.ts';

const PEPPER = 'test-pepper-of-at-least-thirty-two-characters';
const BOTH = ['items:read', 'items:write'];
const REDIS = { host: '127.0.0.1', port: 6379 };

let database: Database;
let keys: KeyStore;
before(async () => {
  database = await pglite.open();
  keys = createKeyStore(database.db, PEPPER);
});

// As on Cloud Run (deploy/cloudrun/service.yaml): its front end is one trusted hop.
const limited = (env: Record<string, string>) =>
  testApp(database, {
    AUTH_DISABLED: 'false',
    API_KEY_PEPPER: PEPPER,
    TRUSTED_PROXY_HOPS: '1',
    ...env,
  });
// Cloud Run appends the address it saw to whatever the client sent.
const from = (address: string, spoofed?: string) => ({
  'x-forwarded-for': spoofed ? `${spoofed}, ${address}` : address,
});
let n = 0;
const address = () => `203.0.113.${++n}`;

describe('rate limits in memory', () => {
  let app: FastifyInstance;
  before(async () => {
    ({ app } = await limited({ RATE_LIMIT_ANON_PER_MINUTE: '5', RATE_LIMIT_PER_MINUTE: '3' }));
  });
  after(() => app.close());

  test('guessing keys from one address ends in 429s; a good key from another address still works', async () => {
    const attacker = address();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await app.inject({
        url: ITEMS,
        // A new spoofed first hop each time changes nothing: the appended address counts.
        headers: { ...from(attacker, `198.51.100.${i}`), 'x-api-key': newKey().key },
      });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        assertErrorBody(res.json(), ITEMS);
        assert.ok(Number(res.headers['retry-after']) > 0);
        assert.equal(res.headers['ratelimit-policy'], '"address";q=5;w=60');
        assert.match(String(res.headers.ratelimit), /^"address";r=0;t=\d+$/);
      }
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
    const { key } = await keys.create({ name: 'honest', scopes: BOTH });
    const res = await app.inject({ url: ITEMS, headers: { ...from(address()), 'x-api-key': key } });
    assert.equal(res.statusCode, 200);
  });

  test('a key has its own budget, with RateLimit fields on every response, once it was verified', async () => {
    const { key } = await keys.create({ name: 'budget', scopes: BOTH });
    // Its first request, which no cache knew, is charged to the address before the lookup.
    const first = await app.inject({
      url: ITEMS,
      headers: { ...from(address()), 'x-api-key': key },
    });
    assert.equal(first.headers['ratelimit-policy'], '"address";q=5;w=60');
    const seen: [number, unknown][] = [];
    for (let i = 0; i < 4; i++) {
      const res = await app.inject({
        url: ITEMS,
        headers: { ...from(address()), 'x-api-key': key },
      });
      seen.push([res.statusCode, res.headers.ratelimit]);
      assert.equal(res.headers['ratelimit-policy'], '"principal";q=3;w=60');
    }
    assert.deepEqual(
      seen.map(([s, r]) => [s, String(r).replace(/;t=\d+$/, '')]),
      [
        [200, '"principal";r=2'],
        [200, '"principal";r=1'],
        [200, '"principal";r=0'],
        [429, '"principal";r=0'],
      ],
    );
  });

  test('exposed directly (TRUSTED_PROXY_HOPS left at 0), a client writing its own X-Forwarded-For gets no new budget', async () => {
    const { app: direct } = await testApp(database, {
      AUTH_DISABLED: 'false',
      API_KEY_PEPPER: PEPPER,
      RATE_LIMIT_ANON_PER_MINUTE: '3',
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await direct.inject({
          url: ITEMS,
          remoteAddress: '192.0.2.7',
          headers: { 'x-forwarded-for': `198.51.100.${i}`, 'x-api-key': newKey().key },
        });
        statuses.push(res.statusCode);
      }
      assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    } finally {
      await direct.close();
    }
  });

  test('the probes and docs are not limited', async () => {
    const blocked = address();
    for (let i = 0; i < 6; i++) await app.inject({ url: ITEMS, headers: from(blocked) });
    for (const url of ['/live', '/ready', '/health', '/openapi.json'])
      assert.equal((await app.inject({ url, headers: from(blocked) })).statusCode, 200, url);
  });
});

describe('rate limits on Redis', () => {
  test('two instances share one budget; cutting Redis does not lift the limits, and they are shared again once it is back', async () => {
    const proxy = await tcpProxy(REDIS);
    const env = {
      RATE_LIMIT_PER_MINUTE: '3',
      RATE_LIMIT_ANON_PER_MINUTE: '0',
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
    };
    const one = await limited(env);
    const two = await limited(env);
    const call = (a: FastifyInstance, key: string) =>
      a.inject({ url: ITEMS, headers: { ...from(address()), 'x-api-key': key } });
    // A key's first request on an instance is its address's (unlimited here): no cache knew it.
    const warm = async (key: string) => {
      await call(one.app, key);
      await call(two.app, key);
    };
    // ioredis connects in the background; until then each instance counts in memory.
    const ready = async () => {
      for (let i = 0; i < 100; i++) {
        const probe = await keys.create({ name: `probe ${randomUUID()}`, scopes: BOTH });
        await warm(probe.key);
        await call(one.app, probe.key);
        if (String((await call(two.app, probe.key)).headers.ratelimit).includes('r=1')) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const alternately = async (key: string) => [
      (await call(two.app, key)).statusCode,
      (await call(one.app, key)).statusCode,
      (await call(two.app, key)).statusCode,
      (await call(one.app, key)).statusCode,
    ];
    try {
      await ready();
      const shared = await keys.create({ name: `shared ${randomUUID()}`, scopes: BOTH });
      await warm(shared.key);
      assert.deepEqual(await alternately(shared.key), [200, 200, 200, 429]);

      await proxy.cut();
      // Cut: each instance counts in memory, so the limits hold without Redis.
      const cut = await keys.create({ name: 'while cut', scopes: BOTH });
      await call(one.app, cut.key);
      const started = Date.now();
      const whileCut: number[] = [];
      for (let i = 0; i < 5; i++) whileCut.push((await call(one.app, cut.key)).statusCode);
      assert.deepEqual(whileCut, [200, 200, 200, 429, 429]);
      assert.ok(Date.now() - started < 3000, 'requests do not wait for Redis');

      await proxy.restore();
      const back = await keys.create({ name: 'after', scopes: BOTH });
      const deadline = Date.now() + 10_000;
      const reconnected = (a: typeof one) =>
        a.logs.some((l) => /Redis reachable again/.test(String(l.message)));
      while (!(reconnected(one) && reconnected(two)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50)); // lets ioredis's reconnect timer run
      // Back: the two instances share one budget again.
      await warm(back.key);
      assert.deepEqual(await alternately(back.key), [200, 200, 200, 429]);
      // Each switch is logged once, however many requests and reconnection attempts it saw.
      const said = (re: RegExp) => one.logs.filter((l) => re.test(String(l.message))).length;
      assert.equal(said(/Redis unreachable: rate limits are counted in memory/), 1);
      assert.equal(said(/Redis reachable again: rate limits are shared again/), 1);
    } finally {
      await one.app.close();
      await two.app.close();
      proxy.close();
    }
  });
});
