// Bearer tokens that are JWTs: OIDC access tokens from AUTH_OIDC_ISSUER and
// Google-signed ID tokens from the identities in AUTH_GOOGLE_SERVICE_ACCOUNTS.
// jose is loaded with the first token, so a start that never sees one does
// not pay for it. The issuer's keys come from its JWKS (cached by jose, one
// refetch per cool-down for a key id it does not know); only the configured
// asymmetric algorithms are accepted; iss, aud, exp and nbf are checked.
// A verified token is remembered, by its SHA-256, until its exp and no longer;
// a token seen before costs one hash and a lookup.
import { hash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { remember } from './bounded-cache.ts';
import type { Principal } from './principal.ts';

export const JWKS_COOLDOWN_MS = 30_000;
const CLOCK_TOLERANCE_S = 30;
const DISCOVERY_TIMEOUT_MS = 5000;

export const GOOGLE = {
  issuers: ['https://accounts.google.com', 'accounts.google.com'],
  jwksUri: 'https://www.googleapis.com/oauth2/v3/certs',
};

export interface TokenIssuer {
  /** The `iss` values this issuer signs with. */
  issuers: string[];
  audience: string;
  algorithms: string[];
  /** Where its keys are: a URL, or found on first use (OIDC discovery). */
  jwksUri: () => Promise<string>;
  /** The caller, from a verified payload; undefined refuses the token. */
  principal(payload: JWTPayload): Principal | undefined;
}

function scopesOf(payload: JWTPayload): string[] {
  if (typeof payload.scope === 'string') return payload.scope.split(' ').filter(Boolean);
  const scp = payload.scp;
  if (Array.isArray(scp)) return scp.filter((s): s is string => typeof s === 'string');
  return typeof scp === 'string' ? scp.split(' ').filter(Boolean) : [];
}

/** An OIDC issuer; its JWKS is found through its discovery document. */
export function oidcIssuer(issuer: string, audience: string, algorithms: string[]): TokenIssuer {
  let jwks: Promise<string> | undefined;
  async function discover(): Promise<string> {
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(url, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`OIDC discovery at ${url} answered ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (doc.issuer !== issuer)
      throw new Error(`OIDC discovery at ${url} names another issuer: ${String(doc.issuer)}`);
    if (
      typeof doc.jwks_uri !== 'string' ||
      new URL(doc.jwks_uri).protocol !== new URL(issuer).protocol
    )
      throw new Error(`OIDC discovery at ${url} has no jwks_uri on the issuer's scheme`);
    return doc.jwks_uri;
  }
  return {
    issuers: [issuer],
    audience,
    algorithms,
    jwksUri: () => {
      jwks ??= discover();
      // A failed discovery is retried with the next token rather than kept.
      jwks.catch(() => (jwks = undefined));
      return jwks;
    },
    principal: (p) => (p.sub ? { id: `oidc:${p.sub}`, scopes: scopesOf(p) } : undefined),
  };
}

/** Google-signed ID tokens; each allowed identity is `EMAIL=SCOPE SCOPE`. */
export function googleIssuer(
  audience: string,
  accounts: string[],
  jwksUri = GOOGLE.jwksUri,
): TokenIssuer {
  const allowed = new Map(
    accounts.map((a) => {
      const at = a.indexOf('=');
      return [a.slice(0, at).toLowerCase(), a.slice(at + 1).split(' ')] as const;
    }),
  );
  return {
    issuers: GOOGLE.issuers,
    audience,
    algorithms: ['RS256'],
    jwksUri: async () => jwksUri,
    principal(p) {
      const email = typeof p.email === 'string' ? p.email.toLowerCase() : undefined;
      const scopes = email && p.email_verified === true ? allowed.get(email) : undefined;
      return scopes ? { id: `google:${email}`, scopes } : undefined;
    },
  };
}

/**
 * Verifies JWTs against the issuers; resolves undefined for any token that
 * fails, and tells `onError` of failures that are not the token's fault
 * (discovery or the JWKS unreachable).
 */
export function createTokenVerifier(issuers: TokenIssuer[], onError: (err: unknown) => void) {
  const cache = new Map<string, { principal: Principal; until: number }>();
  let jose: Promise<typeof import('jose')> | undefined;
  const loadJose = () => {
    jose ??= import('jose');
    return jose;
  };
  const keySets = new Map<
    TokenIssuer,
    Promise<ReturnType<typeof import('jose')['createRemoteJWKSet']>>
  >();

  function keySet(issuer: TokenIssuer) {
    let set = keySets.get(issuer);
    if (!set) {
      set = Promise.all([loadJose(), issuer.jwksUri()]).then(([j, uri]) =>
        j.createRemoteJWKSet(new URL(uri), { cooldownDuration: JWKS_COOLDOWN_MS }),
      );
      set.catch(() => keySets.delete(issuer));
      keySets.set(issuer, set);
    }
    return set;
  }

  return function verify(token: string): Principal | undefined | Promise<Principal | undefined> {
    const digest = hash('sha256', token, 'base64url');
    const hit = cache.get(digest);
    if (hit && hit.until > Date.now()) return hit.principal;
    if (hit) cache.delete(digest);
    return verifyFully(token, digest);
  };

  async function verifyFully(token: string, digest: string): Promise<Principal | undefined> {
    const j = await loadJose();
    let iss: unknown;
    try {
      iss = j.decodeJwt(token).iss;
    } catch {
      return undefined;
    }
    const issuer = issuers.find((i) => typeof iss === 'string' && i.issuers.includes(iss));
    if (!issuer) return undefined;
    try {
      const { payload } = await j.jwtVerify(token, await keySet(issuer), {
        issuer: issuer.issuers,
        audience: issuer.audience,
        algorithms: issuer.algorithms,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp'],
      });
      const principal = issuer.principal(payload);
      if (!principal) return undefined;
      remember(cache, digest, { principal, until: (payload.exp as number) * 1000 });
      return principal;
    } catch (err) {
      // jose's own errors are the token's fault; anything else is the issuer's side.
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string' || !code.startsWith('ERR_J') || code === 'ERR_JWKS_TIMEOUT')
        onError(err);
      return undefined;
    }
  }
}
