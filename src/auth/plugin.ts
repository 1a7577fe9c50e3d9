// Guards the routes of the scope it is registered in: reading (GET) needs
// `<resource>:read`, anything else `<resource>:write`. The credential is
// checked in onRequest and the verdict given in preParsing, so that the
// rate limits (registered between them) count failed attempts against the
// client's address, and a refused request's body is never parsed.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/env.ts';
import { ApiError, ErrorBody } from '../errors/api-error.ts';
import { type Authenticator, INVALID, MISSING, type Outcome } from './authenticator.ts';
import { securityRequirements } from './openapi.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the credential turned out to be; null where nothing is guarded. */
    auth: Outcome | null;
  }
  interface FastifyContextConfig {
    scope?: string;
  }
}

const REALM = 'Bearer realm="api"';

/** The scopes that guard a resource: reading, and everything else. */
export const scopesOf = (resource: string) => ({
  read: `${resource}:read`,
  write: `${resource}:write`,
});
const error = (description: string) => ({ ...Type.Ref(ErrorBody), description });

// One message whatever failed (unknown key, bad signature, expired, revoked):
// the client learns only that this credential does not work.
function refusal(request: FastifyRequest): ApiError | undefined {
  const auth = request.auth;
  if (auth === MISSING)
    return new ApiError(
      401,
      'Authentication required',
      { credentials: 'missing' },
      {
        'www-authenticate': REALM,
      },
    );
  if (auth === INVALID || auth === null)
    return new ApiError(
      401,
      'Invalid credentials',
      { credentials: 'invalid or expired' },
      {
        'www-authenticate': `${REALM}, error="invalid_token"`,
      },
    );
  const scope = request.routeOptions.config.scope as string;
  if (auth.scopes.includes(scope)) return undefined;
  return new ApiError(
    403,
    'Insufficient scope',
    { required_scope: scope },
    {
      'www-authenticate': `${REALM}, error="insufficient_scope", scope="${scope}"`,
    },
  );
}

export default fp<{ authenticator: Authenticator; config: Config; resource: string }>(
  async (app: FastifyInstance, { authenticator, config, resource }) => {
    app.decorateRequest('auth', null);
    app.addHook('onRoute', (route) => {
      const read = [route.method].flat().every((m) => m === 'GET' || m === 'HEAD');
      const scope = scopesOf(resource)[read ? 'read' : 'write'];
      route.config = { ...route.config, scope };
      route.schema = {
        ...route.schema,
        security: securityRequirements(config, scope),
        response: {
          ...(route.schema?.response as object),
          401: error('No credential, or one that is invalid, expired or revoked'),
          403: error(`The credential lacks the scope \`${scope}\``),
        },
      };
    });
    // Not an async hook: a credential a cache knows is settled without a
    // promise and the microtasks Fastify would spend on one.
    app.addHook('onRequest', (request, _reply, done) => {
      const verdict = authenticator.authenticate(request.headers);
      if (!(verdict instanceof Promise)) {
        request.auth = verdict;
        return done();
      }
      verdict.then((outcome) => {
        request.auth = outcome;
        done();
      }, done);
    });
    app.addHook('preParsing', (request, _reply, _payload, done) => done(refusal(request)));
  },
  { name: 'auth' },
);
