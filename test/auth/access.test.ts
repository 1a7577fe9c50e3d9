// Deny by default, as attacks: a route added without a word about who may
// call it, a guarded route added outside the API's prefix, a wrong method
// sent to learn what a guarded path serves, the docs switched off, and the
// public development pepper and key where they do not belong.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createKeyStore, type KeyStore } from '../../src/auth/keys.ts';
import type { Database } from '../../src/db/database.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { testApp } from '../helpers/app.ts';
import { pglite } from '../helpers/database.ts';
import { assertErrorBody, ITEMS } from '../helpers/items.ts';

const PEPPER = 'test-pepper-of-at-least-thirty-two-characters';
const GUARDED = { AUTH_DISABLED: 'false', API_KEY_PEPPER: PEPPER, RATE_LIMIT_ANON_PER_MINUTE: '0' };
const NOWHERE = 'postgres://nobody@127.0.0.1:9/none';

describe('every route states who may call it', () => {
  let database: Database;
  let keys: KeyStore;
  before(async () => {
    database = await pglite.open();
    keys = createKeyStore(database.db, PEPPER);
  });

  test('a route that states neither a scope nor public stops the start, and the error names it', async () => {
    await assert.rejects(
      testApp(database, GUARDED, (app) => {
        app.get('/admin/export', async () => ({ everything: true }));
      }),
      /Route GET \/admin\/export states neither a scope nor public: give it config: \{ scope: 'resource:action' \} or config: \{ public: true \}/,
    );
    // With authentication off too: the statement is part of the route, not of the set-up.
    await assert.rejects(
      testApp(database, { AUTH_DISABLED: 'true' }, (app) => {
        app.post('/admin/reset', async () => ({}));
      }),
      /Route POST \/admin\/reset states neither/,
    );
  });

  test('a route with a scope is guarded wherever it is registered, outside the API prefix too', async () => {
    const { app } = await testApp(database, GUARDED, (a) => {
      a.get('/reports/sales', { config: { scope: 'reports:read' } }, async () => ({ total: 1 }));
    });
    try {
      const get = (headers: Record<string, string>) =>
        app.inject({ url: '/reports/sales', headers });
      assert.equal((await get({})).statusCode, 401, 'no credential');
      const items = await keys.create({ name: 'items only', scopes: ['items:read'] });
      const refused = await get({ 'x-api-key': items.key });
      assert.equal(refused.statusCode, 403, 'an items key does not read reports');
      assert.deepEqual(refused.json().details, { required_scope: 'reports:read' });
      const reports = await keys.create({ name: 'reports', scopes: ['reports:read'] });
      assert.equal((await get({ 'x-api-key': reports.key })).statusCode, 200);
    } finally {
      await app.close();
    }
  });

  test('a route serving several operations (an MCP endpoint) states each scope; a credential with none is refused, the handler sees which it has', async () => {
    const { app } = await testApp(database, GUARDED, (a) => {
      a.post('/tools', { config: { scope: ['items:read', 'items:write'] } }, async (request) => ({
        scopes: (request.auth as unknown as { scopes: string[] }).scopes,
      }));
    });
    try {
      const post = (key: string) =>
        app.inject({ method: 'POST', url: '/tools', headers: { 'x-api-key': key }, payload: {} });
      const other = await keys.create({ name: 'other', scopes: ['reports:read'] });
      const refused = await post(other.key);
      assert.equal(refused.statusCode, 403);
      assert.equal(
        refused.headers['www-authenticate'],
        'Bearer realm="api", error="insufficient_scope", scope="items:read items:write"',
      );
      const reader = await keys.create({ name: 'reader', scopes: ['items:read'] });
      const served = await post(reader.key);
      assert.deepEqual([served.statusCode, served.json()], [200, { scopes: ['items:read'] }]);
    } finally {
      await app.close();
    }
  });
});

describe('what a guarded path serves', () => {
  let app: FastifyInstance;
  let key: string;
  before(async () => {
    const database = await pglite.open();
    ({ app } = await testApp(database, GUARDED));
    key = (
      await createKeyStore(database.db, PEPPER).create({ name: 'reader', scopes: ['items:read'] })
    ).key;
    await app.inject({ url: ITEMS, headers: { 'x-api-key': key } });
  });
  after(() => app.close());

  test('a wrong method without a credential is a 405 that lists nothing', async () => {
    const url = `${ITEMS}/00000000-0000-4000-8000-000000000000`;
    for (const headers of [{}, { 'x-api-key': 'rw_made_up' }]) {
      const res = await app.inject({ method: 'PUT', url, headers });
      assert.equal(res.statusCode, 405);
      assert.equal(res.headers.allow, undefined);
      assertErrorBody(res.json(), url);
      assert.deepEqual(res.json().details, {});
    }
    // A caller with a credential learns the methods, as HTTP asks.
    const known = await app.inject({ method: 'PUT', url, headers: { 'x-api-key': key } });
    assert.equal(known.statusCode, 405);
    assert.equal(known.headers.allow, 'DELETE, GET, HEAD, PATCH');
    // A public path lists them to anyone.
    const health = await app.inject({ method: 'POST', url: '/health' });
    assert.equal(health.headers.allow, 'GET, HEAD');
  });
});

test('DOCS_ENABLED=false: no /docs, /redoc or /openapi.json; /health keeps its contract', async () => {
  const { app } = await testApp(await pglite.open(), { DOCS_ENABLED: 'false' });
  try {
    for (const url of ['/docs', '/docs/', '/redoc', '/openapi.json'])
      assert.equal((await app.inject({ url })).statusCode, 404, url);
    assert.equal((await app.inject({ url: '/health' })).json().status, 'healthy');
  } finally {
    await app.close();
  }
});

describe('the public development pepper and key', () => {
  test('are refused with DATABASE_URL or NODE_ENV=production, with an error that names the fix', async () => {
    const database = await pglite.open();
    for (const [env, reason] of [
      [{ DATABASE_URL: NOWHERE }, 'DATABASE_URL'],
      [{ NODE_ENV: 'production' }, 'NODE_ENV=production'],
      [{ ENVIRONMENT: 'test', DATABASE_URL: NOWHERE }, 'DATABASE_URL'],
    ] as const)
      await assert.rejects(
        testApp(database, { ENVIRONMENT: 'development', AUTH_DISABLED: 'false', ...env }),
        new RegExp(
          `The public development API key pepper is refused with ${reason}: set API_KEY_PEPPER \\(make one with \`openssl rand -base64 32\`\\)`,
        ),
      );
  });

  test('no key with every scope is made, or logged, for a real PostgreSQL', async () => {
    const silent = pino({ level: 'silent' });
    const empty = await openPglite('memory://', silent);
    await empty.migrate();
    const keys = createKeyStore(empty.db, PEPPER);
    const env = { ENVIRONMENT: 'development', AUTH_DISABLED: 'false', API_KEY_PEPPER: PEPPER };
    try {
      const real = await testApp(empty, { ...env, DATABASE_URL: NOWHERE });
      await real.app.close();
      assert.equal(await keys.count(), 0);
      assert.ok(!real.logs.some((l) => /Development API key/.test(String(l.message))));
      assert.ok(
        real.logs.some((l) =>
          /No development API key with DATABASE_URL: make one with npm run runway -- keys create --name NAME --scopes items:read,items:write/.test(
            String(l.message),
          ),
        ),
      );
      // On the embedded database it is made, with every scope the routes state.
      const laptop = await testApp(empty, env);
      await laptop.app.close();
      const [made] = await keys.list();
      assert.deepEqual(made?.scopes, ['items:read', 'items:write']);
    } finally {
      await empty.close();
    }
  });
});
