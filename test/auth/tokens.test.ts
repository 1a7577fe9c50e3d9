// OIDC bearer tokens against a local issuer, and Google ID tokens through
// the same verifier: the good ones pass with their scopes, every forged or
// broken one is a 401 that says nothing of why.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { exportSPKI, SignJWT } from 'jose';
import { Lookup } from '../../src/auth/lookup.ts';
import {
  CACHE_MS,
  createTokenVerifier,
  googleIssuer,
  JWKS_COOLDOWN_MS,
} from '../../src/auth/tokens.ts';
import { ConfigError, loadConfig } from '../../src/config/env.ts';
import { testApp } from '../helpers/app.ts';
import { pglite } from '../helpers/database.ts';
import { assertInvalidCredential, ITEMS } from '../helpers/items.ts';
import { localIssuer, type SigningKey, signingKey } from './issuer.ts';

const AUDIENCE = 'runway-test';
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('OIDC bearer tokens', () => {
  let issuer: Awaited<ReturnType<typeof localIssuer>>;
  let k1: SigningKey;
  let app: FastifyInstance;
  const appFor = async (env: Record<string, string> = {}) =>
    (
      await testApp(await pglite.open(), {
        AUTH_DISABLED: 'false',
        AUTH_OIDC_ISSUER: issuer.issuer,
        AUTH_OIDC_AUDIENCE: AUDIENCE,
        RATE_LIMIT_ANON_PER_MINUTE: '0',
        ...env,
      })
    ).app;

  before(async () => {
    issuer = await localIssuer();
    k1 = await signingKey('k1');
    issuer.publish(k1);
    app = await appFor();
  });
  after(async () => {
    await app.close();
    issuer.close();
  });

  const call = (token: string, method: 'GET' | 'POST' = 'GET', a = app) =>
    a.inject({
      method,
      url: ITEMS,
      headers: { authorization: `Bearer ${token}` },
      ...(method === 'POST' ? { payload: { name: 'by token', price: 1 } } : {}),
    });

  test('a valid token is accepted with the scopes of `scope` or `scp`', async () => {
    const reader = await issuer.sign(k1, { aud: AUDIENCE, scope: 'items:read openid' });
    assert.equal((await call(reader)).statusCode, 200);
    const denied = await call(reader, 'POST');
    assert.equal(denied.statusCode, 403);
    assert.match(
      String(denied.headers['www-authenticate']),
      /error="insufficient_scope", scope="items:write"/,
    );
    const writer = await issuer.sign(k1, { aud: AUDIENCE, scp: ['items:write'] });
    assert.equal((await call(writer, 'POST')).statusCode, 201);
  });

  test('forged and broken tokens are refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    const good = await issuer.sign(k1, { aud: AUDIENCE, scope: 'items:read' });
    const [header, payload, signature] = good.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
    const pem = await exportSPKI(k1.publicKey);
    const cases: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', kid: 'k1' })}.${b64(claims)}.`,
      'HS256 signed with the public key': await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .sign(new TextEncoder().encode(pem)),
      'wrong issuer': await issuer.sign(k1, { aud: AUDIENCE, iss: 'https://elsewhere.example' }),
      'wrong audience': await issuer.sign(k1, { aud: 'another-api', scope: 'items:read' }),
      'expired beyond the tolerance': await issuer.sign(k1, { aud: AUDIENCE, exp: now - 120 }),
      'not yet valid': await issuer.sign(k1, { aud: AUDIENCE, nbf: now + 120 }),
      'no exp': await new SignJWT({
        iss: issuer.issuer,
        aud: AUDIENCE,
        sub: 'u',
        scope: 'items:read',
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .sign(k1.privateKey),
      'tampered payload': `${header}.${b64({ ...claims, scope: 'items:read items:write' })}.${signature}`,
      'not a JWT': 'abc.def',
    };
    for (const [what, token] of Object.entries(cases))
      assertInvalidCredential(await call(token), what);
  });

  test('an unknown kid: after the cool-down one JWKS refetch, then refusals without refetching', async (t) => {
    await call(await issuer.sign(k1, { aud: AUDIENCE, scope: 'items:read' }));
    const stranger = await signingKey('unknown');
    const before = issuer.jwksFetches;
    assertInvalidCredential(
      await call(await issuer.sign(stranger, { aud: AUDIENCE })),
      'unknown kid',
    );
    assert.equal(issuer.jwksFetches, before, 'no refetch within the cool-down of the last fetch');

    t.mock.timers.enable({ apis: ['Date'], now: Date.now() + JWKS_COOLDOWN_MS + 1000 });
    assertInvalidCredential(
      await call(await issuer.sign(stranger, { aud: AUDIENCE })),
      'unknown kid',
    );
    assert.equal(issuer.jwksFetches, before + 1, 'one refetch once the cool-down is over');
    const another = await signingKey('unknown-2');
    assertInvalidCredential(
      await call(await issuer.sign(another, { aud: AUDIENCE })),
      'second unknown kid',
    );
    assert.equal(issuer.jwksFetches, before + 1, 'no second refetch');
  });

  test('a key rotated out of the JWKS no longer verifies', async () => {
    const k2 = await signingKey('k2');
    issuer.publish(k2);
    const fresh = await appFor();
    try {
      assertInvalidCredential(
        await call(await issuer.sign(k1, { aud: AUDIENCE }), 'GET', fresh),
        'old key',
      );
      const res = await call(
        await issuer.sign(k2, { aud: AUDIENCE, scope: 'items:read' }),
        'GET',
        fresh,
      );
      assert.equal(res.statusCode, 200);
    } finally {
      issuer.publish(k1);
      await fresh.close();
    }
  });

  test('a token signed with a key the issuer withdrew stops working within 5 minutes, though its exp is an hour away', async (t) => {
    const k3 = await signingKey('k3');
    issuer.publish(k1, k3);
    const fresh = await appFor();
    try {
      const token = await issuer.sign(k3, { aud: AUDIENCE, scope: 'items:read' });
      assert.equal((await call(token, 'GET', fresh)).statusCode, 200);
      issuer.publish(k1); // k3 leaked: the issuer takes it out of its JWKS
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
      t.mock.timers.tick(CACHE_MS - 1000);
      assert.equal((await call(token, 'GET', fresh)).statusCode, 200, 'still cached');
      t.mock.timers.tick(1000);
      assertInvalidCredential(await call(token, 'GET', fresh), 'withdrawn key, cached 5 minutes');
    } finally {
      issuer.publish(k1);
      await fresh.close();
    }
  });

  test('a token is never remembered past its exp', async (t) => {
    const now = Math.floor(Date.now() / 1000);
    const token = await issuer.sign(k1, { aud: AUDIENCE, scope: 'items:read', exp: now + 60 });
    assert.equal((await call(token)).statusCode, 200);
    t.mock.timers.enable({ apis: ['Date'], now: (now + 91) * 1000 }); // past exp and its 30 s tolerance
    assertInvalidCredential(await call(token), 'expired since it was cached');
  });

  test('with AUTH_OIDC_REQUIRE_ACCESS_TOKEN=true, an ID token for the same audience does not pass as an access token', async () => {
    const strict = await appFor({ AUTH_OIDC_REQUIRE_ACCESS_TOKEN: 'true' });
    try {
      const claims = { aud: AUDIENCE, scope: 'items:read' };
      const idToken = await issuer.sign(k1, claims, 'RS256', 'JWT');
      const untyped = await issuer.sign(k1, claims);
      const accessToken = await issuer.sign(k1, claims, 'RS256', 'at+jwt');
      assertInvalidCredential(await call(idToken, 'GET', strict), 'typ JWT');
      assertInvalidCredential(await call(untyped, 'GET', strict), 'no typ');
      assert.equal((await call(accessToken, 'GET', strict)).statusCode, 200);
      const typed = await issuer.sign(k1, claims, 'RS256', 'application/at+jwt');
      assert.equal((await call(typed, 'GET', strict)).statusCode, 200);
      // Without the setting the same ID token passes: the setting is what refuses it.
      assert.equal((await call(idToken)).statusCode, 200);
    } finally {
      await strict.close();
    }
  });

  test('while discovery fails, tokens are refused and the issuer is asked once per cool-down, not per token', async (t) => {
    issuer.discoveryDown = true;
    const fresh = await appFor();
    try {
      const before = issuer.discoveries;
      for (let i = 0; i < 5; i++)
        assertInvalidCredential(
          await call(
            await issuer.sign(k1, { aud: AUDIENCE, scope: `items:read n${i}` }),
            'GET',
            fresh,
          ),
          'issuer down',
        );
      assert.equal(issuer.discoveries, before + 1, 'one discovery for five tokens');
      issuer.discoveryDown = false;
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() + JWKS_COOLDOWN_MS + 1000 });
      const res = await call(
        await issuer.sign(k1, { aud: AUDIENCE, scope: 'items:read' }),
        'GET',
        fresh,
      );
      assert.equal(res.statusCode, 200, 'discovered again after the cool-down');
      assert.equal(issuer.discoveries, before + 2);
    } finally {
      issuer.discoveryDown = false;
      await fresh.close();
    }
  });

  test('an http:// issuer is accepted on a loopback address only', () => {
    assert.throws(
      () => loadConfig({ AUTH_OIDC_ISSUER: 'http://issuer.example.com' }),
      (e: unknown) => e instanceof ConfigError && /https:\/\//.test(e.message),
    );
    assert.equal(
      loadConfig({ AUTH_OIDC_ISSUER: 'http://[::1]:9000' }).authOidcIssuer,
      'http://[::1]:9000',
    );
  });
});

describe('Google ID tokens', () => {
  test('an allowed, verified service account gets its scopes; others are refused', async () => {
    const google = await localIssuer();
    const key = await signingKey('g1');
    google.publish(key);
    const verifier = createTokenVerifier(
      [
        googleIssuer(
          'https://runway.example',
          ['jobs@p.iam.gserviceaccount.com=items:read'],
          google.jwksUri,
        ),
      ],
      (err) => assert.fail(String(err)),
    );
    // No cache knows a new token: its verdict comes from a lookup.
    const verify = async (token: string) => {
      const verdict = verifier(token);
      return verdict instanceof Lookup ? verdict.settle() : verdict;
    };
    const token = (claims: Record<string, unknown>) =>
      google.sign(key, {
        iss: 'https://accounts.google.com',
        aud: 'https://runway.example',
        email: 'jobs@p.iam.gserviceaccount.com',
        email_verified: true,
        ...claims,
      });
    assert.deepEqual(await verify(await token({})), {
      id: 'google:jobs@p.iam.gserviceaccount.com',
      scopes: ['items:read'],
    });
    assert.equal(
      await verify(await token({ email: 'other@p.iam.gserviceaccount.com' })),
      undefined,
    );
    assert.equal(await verify(await token({ email_verified: false })), undefined);
    assert.equal(await verify(await token({ aud: 'https://other.example' })), undefined);
    google.close();
  });
});
