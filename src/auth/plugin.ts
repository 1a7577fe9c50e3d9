// Deny by default: every route states who may call it, in its own options,
// and the app refuses to start with a route that states neither:
//
//   app.get('/things', { config: { scope: 'things:read' } }, handler)   a credential with that scope
//   app.post('/mcp', { config: { scope: ['a:read', 'b:write'] } }, h)   with at least one of them; the
//                                                                       handler checks which (request.auth)
//   app.get('/health', { config: { public: true } }, handler)           anyone
//
// This plugin reads the statement of every route added after it, wherever it
// is registered, and guards each route that names a scope: the credential is
// looked for in the caches in onRequest and settled in preParsing, so that
// the rate limits (whose hook comes between) charge the caller's address
// before any lookup, and a refused request's body is never parsed. With
// AUTH_DISABLED=true the statements are still required, and nothing is guarded.
import { Type } from '@sinclair/typebox';
import type {
  FastifyInstance,
  FastifyRequest,
  onRequestHookHandler,
  preParsingHookHandler,
  RouteOptions,
} from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import { ApiError, ErrorBody } from '../errors/api-error.ts';
import {
  type Authenticator,
  developmentAllowed,
  INVALID,
  MISSING,
  type Outcome,
  refusedWith,
} from './authenticator.ts';
import { ensureDevelopmentKey } from './development-key.ts';
import { Lookup } from './lookup.ts';
import { securityRequirements } from './openapi.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the credential turned out to be; a Lookup until it is settled; null where nothing is guarded. */
    auth: Outcome | Lookup<Outcome> | null;
  }
  interface FastifyContextConfig {
    /** Anyone may call the route. */
    public?: true;
    /** The scope a credential must hold; with a list, at least one of them. */
    scope?: string | readonly string[];
  }
}

const REALM = 'Bearer realm="api"';
const error = (description: string) => ({ ...Type.Ref(ErrorBody), description });
const listOf = (scope: string | readonly string[]) => (typeof scope === 'string' ? [scope] : scope);

/** A route that needs a credential: it states a scope. */
export const guarded = (route: { config?: { scope?: unknown } }) =>
  route.config?.scope !== undefined;

/** The route's hooks of one kind with `hook` added last (route-level hooks run after the scopes'). */
export function withHook<T>(hooks: T | T[] | undefined, hook: T): T[] {
  return [...(hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]), hook];
}

/**
 * Whether the request's credential is one a cache holds as valid; nothing
 * is looked up for it. Without authentication every caller is known.
 */
export const knownCaller =
  (authenticator: Authenticator | undefined) =>
  (request: FastifyRequest): boolean => {
    if (!authenticator) return true;
    const auth = authenticator.authenticate(request.headers);
    return typeof auth === 'object' && !(auth instanceof Lookup);
  };

function declared(route: RouteOptions): void {
  const { public: open, scope } = route.config ?? {};
  const name = `${[route.method].flat().join(',')} ${route.url}`;
  const scopes = scope === undefined ? [] : listOf(scope);
  if ((open === true) === (scope !== undefined) || (scope !== undefined && scopes.length === 0))
    throw new Error(
      `Route ${name} states ${open === true ? 'both a scope and public' : 'neither a scope nor public'}: give it config: { scope: 'resource:action' } or config: { public: true } (src/auth/plugin.ts)`,
    );
}

// One message whatever failed (unknown key, bad signature, expired, revoked):
// the client learns only that this credential does not work.
function refusal(request: FastifyRequest): ApiError | undefined {
  const auth = request.auth;
  if (auth === MISSING)
    return new ApiError(
      401,
      'Authentication required',
      { credentials: 'missing' },
      { 'www-authenticate': REALM },
    );
  if (auth === INVALID || auth === null || auth instanceof Lookup)
    return new ApiError(
      401,
      'Invalid credentials',
      { credentials: 'invalid or expired' },
      { 'www-authenticate': `${REALM}, error="invalid_token"` },
    );
  const scope = request.routeOptions.config.scope as string | readonly string[];
  if (
    typeof scope === 'string'
      ? auth.scopes.includes(scope)
      : scope.some((s) => auth.scopes.includes(s))
  )
    return undefined;
  return new ApiError(
    403,
    'Insufficient scope',
    { required_scope: scope },
    {
      'www-authenticate': `${REALM}, error="insufficient_scope", scope="${listOf(scope).join(' ')}"`,
    },
  );
}

export default fp<{ authenticator: Authenticator | undefined; config: Config; log: Logger }>(
  async (app: FastifyInstance, { authenticator, config, log }) => {
    app.decorateRequest('auth', null);
    const scopes = new Set<string>();

    // Not an async hook: a credential a cache knows is settled without a
    // promise and the microtasks Fastify would spend on one.
    const identify: onRequestHookHandler = (request, _reply, done) => {
      request.auth = (authenticator as Authenticator).authenticate(request.headers);
      done();
    };
    const judge: preParsingHookHandler = (request, _reply, _payload, done) => {
      const auth = request.auth;
      if (!(auth instanceof Lookup)) return done(refusal(request));
      auth.settle().then((outcome) => {
        request.auth = outcome;
        done(refusal(request));
      }, done);
    };

    app.addHook('onRoute', (route) => {
      declared(route);
      if (!guarded(route)) return;
      const scope = route.config?.scope as string | readonly string[];
      for (const s of listOf(scope)) scopes.add(s);
      if (!authenticator) return;
      route.onRequest = withHook(route.onRequest, identify);
      route.preParsing = withHook(route.preParsing, judge);
      const named = listOf(scope).map((s) => `\`${s}\``);
      route.schema = {
        ...route.schema,
        security: securityRequirements(config, listOf(scope)),
        response: {
          ...(route.schema?.response as object),
          401: error('No credential, or one that is invalid, expired or revoked'),
          403: error(`The credential lacks the scope ${named.join(' or ')}`),
        },
      };
    });

    // `npm ci && npm start` gives working docs: a key with every scope the
    // routes name, on a laptop's embedded database only.
    if (authenticator?.keys && config.environment === 'development') {
      const keys = authenticator.keys;
      app.addHook('onReady', async () => {
        const all = [...scopes].sort();
        if (developmentAllowed(config)) return ensureDevelopmentKey(keys, all, log);
        log.info(
          `No development API key with ${refusedWith(config)}: make one with npm run runway -- keys create --name NAME --scopes ${all.join(',')}`,
        );
      });
    }
  },
  { name: 'auth' },
);
