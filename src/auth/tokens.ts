// Bearer tokens that are JWTs: OIDC access tokens from AUTH_OIDC_ISSUER and
// Google-signed ID tokens from the identities in AUTH_GOOGLE_SERVICE_ACCOUNTS.
// jose is loaded with the first token, so a start that never sees one does
// not pay for it. The issuer's keys come from its JWKS (cached by jose, one
// refetch per cool-down for a key id it does not know); only the configured
// asymmetric algorithms are accepted; iss, aud, exp and nbf are checked.
// A verified token is remembered, by its SHA-256, for at most CACHE_MS and
// never past its exp; a token seen before costs one hash and a lookup. The
// JWKS is kept as long, so a signing key the issuer withdraws stops
// verifying within that time. A failed discovery is retried once per
// cool-down, not for every token that arrives while the issuer is down.
import { hash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { remember } from './bounded-cache.ts';
import { Lookup, type Verdict } from './lookup.ts';
import type { Principal } from './principal.ts';

export const JWKS_COOLDOWN_MS = 30_000;
export const CACHE_MS = 5 * 60_000;
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
  /** The JOSE `typ` its tokens must carry, if any. */
  typ?: string;
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

/**
 * An OIDC issuer; its JWKS is found through its discovery document. With
 * `accessTokens`, only RFC 9068 access tokens (`typ: at+jwt`) pass: an ID
 * token for the same audience does not.
 */
export function oidcIssuer(
  issuer: string,
  audience: string,
  algorithms: string[],
  accessTokens = false,
): TokenIssuer {
  let jwks: Promise<string> | undefined;
  let retryAt = 0;
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
    ...(accessTokens ? { typ: 'at+jwt' } : {}),
    jwksUri: () => {
      if (!jwks || Date.now() >= retryAt) {
        jwks = discover();
        retryAt = Number.POSITIVE_INFINITY;
        jwks.catch(() => (retryAt = Date.now() + JWKS_COOLDOWN_MS));
      }
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
        j.createRemoteJWKSet(new URL(uri), {
          cooldownDuration: JWKS_COOLDOWN_MS,
          cacheMaxAge: CACHE_MS,
        }),
      );
      set.catch(() => keySets.delete(issuer));
      keySets.set(issuer, set);
    }
    return set;
  }

  return function verify(token: string): Verdict<Principal | undefined> {
    const digest = hash('sha256', token, 'base64url');
    const hit = cache.get(digest);
    if (hit && hit.until > Date.now()) return hit.principal;
    if (hit) cache.delete(digest);
    return new Lookup(() => verifyFully(token, digest));
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
        ...(issuer.typ ? { typ: issuer.typ } : {}),
      });
      const principal = issuer.principal(payload);
      if (!principal) return undefined;
      const until = Math.min((payload.exp as number) * 1000, Date.now() + CACHE_MS);
      remember(cache, digest, { principal, until });
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
