// A local OIDC issuer for the runway-jwt benchmark target: one RS256 key
// made with jose at start, its discovery document and JWKS served on
// 127.0.0.1, and GET /token, which mints a token for the target's
// TARGET_HEADERS_CMD (for AUDIENCE, with both items scopes, valid for
// TOKEN_TTL_S: longer than any run, so every request after the first is a
// hit of the verified-token cache, as a client reusing its token is).
//
//   node bench/oidc-issuer.ts PORT AUDIENCE
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const TOKEN_TTL_S = 6 * 3600;

const port = Number(process.argv[2]);
const audience = String(process.argv[3]);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey, publicKey } = await generateKeyPair('RS256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
let tokens = 0;

const server = createServer(async (req, res) => {
  res.setHeader('content-type', 'application/json');
  if (req.url === '/.well-known/openid-configuration') {
    res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
  } else if (req.url === '/jwks') {
    res.end(JSON.stringify({ keys: [jwk] }));
  } else if (req.url === '/token') {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ scope: 'items:read items:write' })
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(`bench-${++tokens}`)
      .setIssuedAt(now)
      .setExpirationTime(now + TOKEN_TTL_S)
      .sign(privateKey);
    res.setHeader('content-type', 'text/plain');
    res.end(`${token}\n`);
  } else {
    res.statusCode = 404;
    res.end('{}');
  }
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  console.log(`oidc issuer: ${tokens} tokens minted`);
  process.exit(0);
});
