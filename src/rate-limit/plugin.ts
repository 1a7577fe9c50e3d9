// Rate limits on every route that needs a credential (src/auth/plugin.ts),
// with @fastify/rate-limit's stores: in memory per instance, or shared
// through Redis (REDIS_URL), counted in memory while Redis is unreachable. A
// request with a verified credential counts against its principal (the key
// id or token subject, never the credential); one without, or with one that
// no cache knows yet or that failed, against the client's address, before
// any lookup: guessing keys is slow, and made-up keys cost their sender
// rather than the database. Registered after the auth plugin, so that this
// hook runs after the credential was looked for in the caches and before
// the lookup. Responses carry the IETF RateLimit-Policy and RateLimit fields.
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { Lookup } from '../auth/lookup.ts';
import { guarded, withHook } from '../auth/plugin.ts';
import type { Config } from '../config/env.ts';
import { ApiError } from '../errors/api-error.ts';
import type { Count } from '../metrics/runtime.ts';
import { connectRedis, fallbackStore } from './redis.ts';

const WINDOW_S = 60;
// What each policy counts by; the prefix keeps the two kinds of key apart.
const POLICY = { p: 'principal', a: 'address' } as const;

export default fp<{ config: Config; count: Count }>(
  async (app: FastifyInstance, { config, count }) => {
    const perPrincipal = config.rateLimitPerMinute;
    // Without authentication every caller is known only by its address.
    const perAddress = config.authDisabled ? perPrincipal : config.rateLimitAnonPerMinute;
    if (perPrincipal === 0 && perAddress === 0) return;

    const redis = config.redisUrl ? await connectRedis(config.redisUrl, app.log) : undefined;
    if (redis) app.addHook('onClose', async () => redis.disconnect());
    await app.register(rateLimit, {
      global: false,
      timeWindow: WINDOW_S * 1000,
      ...(redis ? { store: fallbackStore(redis, 'runway-rate-limit:') } : {}),
    });

    const keyOf = (request: FastifyRequest) => {
      const auth = request.auth;
      // A credential only due for revalidation counts against the principal it was.
      const id =
        auth instanceof Lookup
          ? auth.claimed
          : typeof auth === 'object' && auth
            ? auth.id
            : undefined;
      return id ? `p:${id}` : `a:${normalizeIP(request.ip)}`;
    };
    const maxOf = (key: string) => (key.startsWith('p:') ? perPrincipal : perAddress);
    const limit = app.createRateLimit({
      keyGenerator: keyOf,
      max: (_request, key) => maxOf(key),
    });

    const charge: onRequestHookHandler = async (request, reply) => {
      const key = keyOf(request);
      const max = maxOf(key);
      if (max === 0) return;
      const result = await limit(request);
      if (result.isAllowed) return;
      const policy = POLICY[key[0] as keyof typeof POLICY];
      reply.header('ratelimit-policy', `"${policy}";q=${max};w=${WINDOW_S}`);
      reply.header('ratelimit', `"${policy}";r=${result.remaining};t=${result.ttlInSeconds}`);
      if (!result.isExceeded) return;
      count('rateLimited');
      throw new ApiError(
        429,
        'Too many requests',
        { limit: max, window_seconds: WINDOW_S },
        { 'retry-after': String(result.ttlInSeconds) },
      );
    };
    app.addHook('onRoute', (route) => {
      if (guarded(route)) route.onRequest = withHook(route.onRequest, charge);
    });
  },
  { name: 'rate-limit', dependencies: ['auth'] },
);
