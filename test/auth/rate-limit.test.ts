// Rate limits: failed attempts count per client address (so guessing keys
// ends in 429s) while good keys count per key; the client's address is the
// one Cloud Run appends; on Redis two instances share one budget, and the
// service keeps serving while Redis is cut, then limits again once it is back.
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

const limited = (env: Record<string, string>) =>
  testApp(database, { AUTH_DISABLED: 'false', API_KEY_PEPPER: PEPPER, ...env });
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

  test('a key has its own budget, with RateLimit fields on every response', async () => {
    const { key } = await keys.create({ name: 'budget', scopes: BOTH });
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

  test('the probes and docs are not limited', async () => {
    const blocked = address();
    for (let i = 0; i < 6; i++) await app.inject({ url: ITEMS, headers: from(blocked) });
    for (const url of ['/live', '/ready', '/health', '/openapi.json'])
      assert.equal((await app.inject({ url, headers: from(blocked) })).statusCode, 200, url);
  });
});

describe('rate limits on Redis', () => {
  test('two instances share one budget; with Redis cut they serve, and limit again once it is back', async () => {
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
    const ready = async (key: string) => {
      // ioredis connects in the background; until then requests go through.
      for (
        let i = 0;
        i < 100 && !String((await call(one.app, key)).headers.ratelimit).includes('r=2');
        i++
      )
        await new Promise((r) => setTimeout(r, 50));
    };
    try {
      const shared = await keys.create({ name: `shared ${randomUUID()}`, scopes: BOTH });
      await ready(shared.key);
      const statuses = [
        (await call(two.app, shared.key)).statusCode,
        (await call(one.app, shared.key)).statusCode,
        (await call(two.app, shared.key)).statusCode,
        (await call(one.app, shared.key)).statusCode,
      ];
      assert.deepEqual(statuses, [200, 200, 429, 429]);

      await proxy.cut();
      const cut = await keys.create({ name: 'while cut', scopes: BOTH });
      const started = Date.now();
      for (let i = 0; i < 6; i++) assert.equal((await call(one.app, cut.key)).statusCode, 200);
      assert.ok(Date.now() - started < 3000, 'requests do not wait for Redis');
      assert.ok(one.logs.some((l) => /Redis unreachable/.test(String(l.message))));

      await proxy.restore();
      const back = await keys.create({ name: 'after', scopes: BOTH });
      const deadline = Date.now() + 10_000;
      let status = 200;
      while (status === 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50)); // lets ioredis's reconnect timer run
        status = (await call(two.app, back.key)).statusCode;
      }
      assert.equal(status, 429, 'limits apply again');
      assert.ok(two.logs.some((l) => /Redis reachable again/.test(String(l.message))));
    } finally {
      await one.app.close();
      await two.app.close();
      proxy.close();
    }
  });
});
