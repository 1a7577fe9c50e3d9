// The methods of authentication the config turns on, and one function that
// turns a request's headers into a principal: an API key (X-API-Key, or
// Authorization: Bearer rw_...), or a JWT (Authorization: Bearer) from the
// OIDC issuer or Google.
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import { type Config, ConfigError } from '../config/env.ts';
import type { AppDatabase } from '../db/database.ts';
import { KEY_PREFIX } from './key-format.ts';
import { createKeyStore, createKeyVerifier, type KeyStore } from './keys.ts';
import { Lookup, type Verdict } from './lookup.ts';
import type { Principal } from './principal.ts';
import { createTokenVerifier, googleIssuer, oidcIssuer, type TokenIssuer } from './tokens.ts';

/** Not a secret: keys made with it are only as safe as a laptop's database. */
const DEVELOPMENT_PEPPER = 'runway-development-pepper-not-for-deployed-services';
const LOCAL = new Set(['development', 'test']);

export const MISSING = 'missing';
export const INVALID = 'invalid';
export type Outcome = Principal | typeof MISSING | typeof INVALID;

type Verify = (credential: string) => Verdict<Principal | undefined>;

export interface Authenticator {
  readonly keys?: KeyStore;
  authenticate(headers: IncomingHttpHeaders): Verdict<Outcome>;
}

/**
 * The public development pepper serves only a laptop's embedded database:
 * never where NODE_ENV=production (the image) or a real PostgreSQL holds
 * the keys, whatever ENVIRONMENT says.
 */
export const developmentAllowed = (config: Config): boolean =>
  LOCAL.has(config.environment) && !config.databaseUrl && config.nodeEnv !== 'production';

/** Why the development pepper and key are refused, in words. */
export const refusedWith = (config: Config): string =>
  [config.databaseUrl && 'DATABASE_URL', config.nodeEnv === 'production' && 'NODE_ENV=production']
    .filter(Boolean)
    .join(' and ');

export function keyPepper(config: Config): string | undefined {
  return config.apiKeyPepper ?? (developmentAllowed(config) ? DEVELOPMENT_PEPPER : undefined);
}

/** Undefined when AUTH_DISABLED=true; throws ConfigError when no method is configured. */
export function createAuthenticator(
  config: Config,
  db: AppDatabase,
  log: Logger,
): Authenticator | undefined {
  if (config.authDisabled) return undefined;
  const pepper = keyPepper(config);
  const issuers: TokenIssuer[] = [];
  if (config.authOidcIssuer) {
    if (!config.authOidcAudience)
      throw new ConfigError(
        'AUTH_OIDC_AUDIENCE is required with AUTH_OIDC_ISSUER (example: AUTH_OIDC_AUDIENCE=https://api.example.com)',
      );
    issuers.push(
      oidcIssuer(
        config.authOidcIssuer,
        config.authOidcAudience,
        config.authOidcAlgorithms,
        config.authOidcRequireAccessToken,
      ),
    );
  }
  if (config.authGoogleAudience) {
    if (config.authGoogleServiceAccounts.length === 0)
      throw new ConfigError(
        'AUTH_GOOGLE_SERVICE_ACCOUNTS is required with AUTH_GOOGLE_AUDIENCE (example: AUTH_GOOGLE_SERVICE_ACCOUNTS=jobs@my-project.iam.gserviceaccount.com=items:read)',
      );
    issuers.push(googleIssuer(config.authGoogleAudience, config.authGoogleServiceAccounts));
  }
  if (!pepper && issuers.length === 0)
    throw new ConfigError(
      LOCAL.has(config.environment)
        ? `The public development API key pepper is refused with ${refusedWith(config)}: set API_KEY_PEPPER (make one with \`openssl rand -base64 32\`), AUTH_OIDC_ISSUER or AUTH_GOOGLE_AUDIENCE, or AUTH_DISABLED=true for a public API`
        : `No method of authentication is configured for ENVIRONMENT=${config.environment}: set API_KEY_PEPPER (API keys), AUTH_OIDC_ISSUER or AUTH_GOOGLE_AUDIENCE, or AUTH_DISABLED=true for a public API`,
    );

  const keys = pepper ? createKeyStore(db, pepper) : undefined;
  const verifyKey = keys
    ? createKeyVerifier(keys, (err) => log.warn({ err }, 'recording an API key use failed'))
    : undefined;
  const verifyToken =
    issuers.length > 0
      ? createTokenVerifier(issuers, (err) => log.warn({ err }, 'token issuer unreachable'))
      : undefined;

  const settle = (principal: Principal | undefined): Outcome => principal ?? INVALID;
  const check = (verify: Verify | undefined, c: string): Verdict<Outcome> => {
    if (!verify) return INVALID;
    const verdict = verify(c);
    if (!(verdict instanceof Lookup)) return settle(verdict);
    return new Lookup(() => verdict.settle().then(settle), verdict.claimed);
  };

  return {
    ...(keys ? { keys } : {}),
    authenticate(headers) {
      const apiKey = headers['x-api-key'];
      if (typeof apiKey === 'string') return check(verifyKey, apiKey);
      const authorization = headers.authorization;
      if (authorization === undefined) return MISSING;
      const bearer = /^Bearer +(\S+)$/i.exec(authorization)?.[1];
      if (!bearer) return INVALID;
      return check(bearer.startsWith(KEY_PREFIX) ? verifyKey : verifyToken, bearer);
    },
  };
}
