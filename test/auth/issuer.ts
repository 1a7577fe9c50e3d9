// A local OIDC issuer for the tests: keys made with jose, its discovery
// document and JWKS served over HTTP on 127.0.0.1, every JWKS fetch counted.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export interface SigningKey {
  kid: string;
  privateKey: KeyPair['privateKey'];
  publicKey: KeyPair['publicKey'];
  jwk: JWK;
}

export async function signingKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return {
    kid,
    privateKey,
    publicKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
  };
}

export async function localIssuer() {
  let published: SigningKey[] = [];
  let jwksFetches = 0;
  let discoveries = 0;
  let discoveryDown = false;
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      discoveries++;
      if (discoveryDown) res.statusCode = 503;
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (req.url === '/jwks') {
      jwksFetches++;
      res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    close: () => server.close(),
    get jwksFetches() {
      return jwksFetches;
    },
    /** Discovery documents asked for; and whether discovery answers 503. */
    get discoveries() {
      return discoveries;
    },
    set discoveryDown(down: boolean) {
      discoveryDown = down;
    },
    publish(...keys: SigningKey[]) {
      published = keys;
    },
    /** A token signed by `key`; claims override the defaults (an hour's validity). */
    sign(key: SigningKey, claims: JWTPayload, alg = 'RS256', typ?: string): Promise<string> {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, sub: 'user-1', iat: now, exp: now + 3600, ...claims })
        .setProtectedHeader({ alg, kid: key.kid, ...(typ ? { typ } : {}) })
        .sign(key.privateKey);
    },
  };
}
