// Refuse before any lookup: made-up API keys (their checksum is public, so
// they are free to make) and /ready calls sent as fast as a client can must
// not take the database's connections from the callers with good keys. Each
// attack counts the queries that reached the database.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { newKey } from '../../src/auth/key-format.ts';
import { createKeyStore } from '../../src/auth/keys.ts';
import type { Database } from '../../src/db/database.ts';
import type { QueryObserver } from '../../src/db/observe.ts';
import { testApp } from '../helpers/app.ts';
import { backends } from '../helpers/database.ts';
import { ITEMS } from '../helpers/items.ts';

const PEPPER = 'test-pepper-of-at-least-thirty-two-characters';
const ANON_PER_MINUTE = 5;
const FLOOD = 300;

/** The database, with every query that reaches it written down. */
function counted(real: Database) {
  const sent: string[] = [];
  const database: Database = {
    ...real,
    observeQueries: (o: QueryObserver) =>
      real.observeQueries({
        ...o,
        trace: (sql, run) => {
          sent.push(sql);
          return o.trace ? o.trace(sql, run) : run();
        },
      }),
  };
  const count = (re: RegExp) => sent.filter((q) => re.test(q)).length;
  return {
    database,
    lookups: () => count(/^select .* from "api_keys"/i),
    pings: () => count(/^SELECT 1$/),
    reset: () => sent.splice(0),
  };
}

for (const backend of backends()) {
  describe(`a flood against ${backend.name}`, () => {
    let db: ReturnType<typeof counted>;
    let app: FastifyInstance;
    let good: string;
    before(async () => {
      const real = await backend.open();
      db = counted(real);
      ({ app } = await testApp(db.database, {
        AUTH_DISABLED: 'false',
        API_KEY_PEPPER: PEPPER,
        TRUSTED_PROXY_HOPS: '1',
        RATE_LIMIT_ANON_PER_MINUTE: String(ANON_PER_MINUTE),
      }));
      good = (
        await createKeyStore(real.db, PEPPER).create({ name: 'good', scopes: ['items:read'] })
      ).key;
      // The good key has been used before: its verification is cached.
      await app.inject({ url: ITEMS, headers: { 'x-api-key': good } });
    });
    after(() => app.close());

    test('made-up keys and /ready calls sent all at once leave the database to a good key', async () => {
      db.reset();
      const attacker = { 'x-forwarded-for': '203.0.113.66' };
      const forged = Array.from({ length: FLOOD }, () =>
        app.inject({ url: ITEMS, headers: { ...attacker, 'x-api-key': newKey().key } }),
      );
      const probes = Array.from({ length: FLOOD }, () =>
        app.inject({ url: '/ready', headers: attacker }),
      );
      const honest = Array.from({ length: 20 }, () =>
        app.inject({
          url: ITEMS,
          headers: { 'x-forwarded-for': '198.51.100.1', 'x-api-key': good },
        }),
      );
      const [refused, ready, served] = await Promise.all(
        [forged, probes, honest].map((list) => Promise.all(list)),
      );
      assert.deepEqual(new Set(served?.map((r) => r.statusCode)), new Set([200]));
      const statuses = refused?.map((r) => r.statusCode) ?? [];
      assert.ok(statuses.every((s) => s === 401 || s === 429));
      assert.ok(statuses.filter((s) => s === 429).length >= FLOOD - ANON_PER_MINUTE);
      assert.deepEqual(new Set(ready?.map((r) => r.statusCode)), new Set([200]));
      // What reached the database: at most a lookup per made-up key the address had
      // budget for, and one ping.
      assert.ok(db.lookups() <= ANON_PER_MINUTE, `${db.lookups()} key lookups`);
      assert.equal(db.pings(), 1, '/ready pings');
    });

    test('one made-up key sent from many addresses is looked up once: its id is remembered as a miss', async () => {
      db.reset();
      const forged = newKey().key;
      for (let i = 0; i < 20; i++) {
        const res = await app.inject({
          url: ITEMS,
          headers: { 'x-forwarded-for': `192.0.2.${i}`, 'x-api-key': forged },
        });
        assert.equal(res.statusCode, 401);
      }
      assert.equal(db.lookups(), 1);
    });
  });
}
