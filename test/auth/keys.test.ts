// API keys on the wire: where they go, what they may do, every way a key
// fails, and revocation reaching a second instance within 5 s.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { formatKey, newKey, parseKey } from '../../src/auth/key-format.ts';
import { createKeyStore, type KeyStore } from '../../src/auth/keys.ts';
import { apiKeys } from '../../src/auth/table.ts';
import type { Database } from '../../src/db/database.ts';
import { testApp } from '../helpers/app.ts';
import { pglite } from '../helpers/database.ts';
import { assertErrorBody, assertInvalidCredential, ITEMS } from '../helpers/items.ts';

const PEPPER = 'test-pepper-of-at-least-thirty-two-characters';
const ENV = { AUTH_DISABLED: 'false', API_KEY_PEPPER: PEPPER, RATE_LIMIT_ANON_PER_MINUTE: '0' };
const BOTH = ['items:read', 'items:write'];

describe('API keys', () => {
  let database: Database;
  let keys: KeyStore;
  let app: FastifyInstance;
  let logs: Record<string, unknown>[];
  before(async () => {
    database = await pglite.open();
    keys = createKeyStore(database.db, PEPPER);
    ({ app, logs } = await testApp(database, ENV));
  });
  after(() => app.close());

  const get = (headers: Record<string, string>, a = app) => a.inject({ url: ITEMS, headers });

  test('the format: rw_, an id, a secret and a checksum that catches any changed character', () => {
    const { key, id } = newKey();
    assert.match(key, /^rw_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/);
    assert.equal(parseKey(key)?.id, id);
    for (let i = 3; i < key.length; i++) {
      if (key[i] === '_') continue;
      const changed = key.slice(0, i) + (key[i] === 'a' ? 'b' : 'a') + key.slice(i + 1);
      assert.equal(parseKey(changed), undefined, `character ${i} changed`);
    }
  });

  test('without a credential: 401 with a Bearer challenge; the public routes stay open', async () => {
    const res = await get({});
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="api"');
    assertErrorBody(res.json(), ITEMS);
    const post = await app.inject({ method: 'POST', url: ITEMS, payload: { name: 'x', price: 1 } });
    assert.equal(post.statusCode, 401);
    for (const url of ['/', '/health', '/live', '/ready', '/openapi.json', '/docs'])
      assert.equal((await app.inject({ url })).statusCode, 200, url);
  });

  test('a key works in X-API-Key and as a Bearer token; the database holds only its HMAC', async () => {
    const made = await keys.create({ name: 'both', scopes: BOTH });
    assert.equal((await get({ 'x-api-key': made.key })).statusCode, 200);
    assert.equal((await get({ authorization: `Bearer ${made.key}` })).statusCode, 200);
    const [row] = await database.db.select().from(apiKeys).where(eq(apiKeys.id, made.id));
    const secret = parseKey(made.key)?.secret as string;
    assert.match(row?.secret_hash ?? '', /^[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify(row).includes(secret));
    assert.ok(!JSON.stringify(logs).includes(secret), 'the key is never logged');
  });

  test('a read-only key reads and gets a 403 insufficient_scope on writes', async () => {
    const { key } = await keys.create({ name: 'reader', scopes: ['items:read'] });
    assert.equal((await get({ 'x-api-key': key })).statusCode, 200);
    for (const [method, url] of [
      ['POST', ITEMS],
      ['PATCH', `${ITEMS}/00000000-0000-4000-8000-000000000000`],
      ['DELETE', `${ITEMS}/00000000-0000-4000-8000-000000000000`],
    ] as const) {
      const res = await app.inject({
        method,
        url,
        headers: { 'x-api-key': key },
        payload: { name: 'x', price: 1 },
      });
      assert.equal(res.statusCode, 403, method);
      assert.equal(
        res.headers['www-authenticate'],
        'Bearer realm="api", error="insufficient_scope", scope="items:write"',
      );
      assertErrorBody(res.json(), url);
      assert.deepEqual(res.json().details, { required_scope: 'items:write' });
    }
    const writer = await keys.create({ name: 'writer', scopes: ['items:write'] });
    assert.equal(
      (await get({ 'x-api-key': writer.key })).statusCode,
      403,
      'write does not imply read',
    );
  });

  test('wrong, malformed, unknown, expired and revoked keys: the same 401', async () => {
    const good = await keys.create({ name: 'good', scopes: BOTH });
    const other = newKey();
    const expired = await keys.create({
      name: 'old',
      scopes: BOTH,
      expiresAt: new Date(Date.now() - 1000),
    });
    const revoked = await keys.create({ name: 'gone', scopes: BOTH });
    await keys.revoke(revoked.id);
    const cases: Record<string, Record<string, string>> = {
      'wrong secret (with a valid checksum)': {
        'x-api-key': formatKey({ id: good.id, secret: other.secret }),
      },
      malformed: { 'x-api-key': 'not-a-key' },
      'bad checksum': {
        'x-api-key': `${good.key.slice(0, -1)}${good.key.endsWith('0') ? '1' : '0'}`,
      },
      'unknown id': { 'x-api-key': other.key },
      expired: { 'x-api-key': expired.key },
      revoked: { 'x-api-key': revoked.key },
      'empty bearer': { authorization: 'Bearer ' },
      'basic auth': { authorization: 'Basic dXNlcjpwYXNz' },
      'a JWT when no issuer is configured': { authorization: 'Bearer a.b.c' },
    };
    assert.equal((await get({ 'x-api-key': good.key })).statusCode, 200, 'the good key works');
    for (const [what, headers] of Object.entries(cases))
      assertInvalidCredential(await get(headers), what);
  });

  test('a key that was accepted is refused from the moment it expires', async () => {
    const { key } = await keys.create({
      name: 'short-lived',
      scopes: BOTH,
      expiresAt: new Date(Date.now() + 300),
    });
    assert.equal((await get({ 'x-api-key': key })).statusCode, 200);
    // Well within the time its row and its verification are remembered.
    await new Promise((r) => setTimeout(r, 400));
    assertInvalidCredential(await get({ 'x-api-key': key }), 'expired since it was accepted');
  });

  test('revocation reaches another instance within 5 s', async () => {
    const second = (await testApp(database, ENV)).app;
    try {
      const { id, key } = await keys.create({ name: 'to revoke', scopes: BOTH });
      for (const a of [app, second])
        assert.equal((await get({ 'x-api-key': key }, a)).statusCode, 200);
      const revokedAt = Date.now();
      await keys.revoke(id);
      const refusedIn = async (a: FastifyInstance) => {
        while ((await get({ 'x-api-key': key }, a)).statusCode === 200)
          await new Promise((r) => setTimeout(r, 100));
        return Date.now() - revokedAt;
      };
      const [first, other] = await Promise.all([refusedIn(app), refusedIn(second)]);
      assert.ok(first < 5000 && other < 5000, `refused after ${first} and ${other} ms`);
    } finally {
      await second.close();
    }
  });

  test('last use is recorded, once rather than per request', async () => {
    const { id, key } = await keys.create({ name: 'busy', scopes: BOTH });
    const lastUse = async () =>
      (await database.db.select().from(apiKeys).where(eq(apiKeys.id, id)))[0]?.last_used_at;
    assert.equal(await lastUse(), null);
    await get({ 'x-api-key': key });
    await new Promise((r) => setTimeout(r, 100));
    const first = await lastUse();
    assert.ok(first instanceof Date);
    for (let i = 0; i < 5; i++) await get({ 'x-api-key': key });
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await lastUse(), first);
  });
});
