// The Redis that all instances share their rate limits through (REDIS_URL).
// ioredis is loaded only when it is configured. A command never waits for a
// connection (no offline queue) and never longer than COMMAND_TIMEOUT_MS.
// While Redis is unreachable each instance counts in memory instead
// (@fastify/rate-limit's own local store), so the limits hold, per instance;
// ioredis keeps reconnecting, and the shared counts apply again as soon as
// it is back. Each switch is logged once.

import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
// @fastify/rate-limit's two stores, the ones its `redis` and default options make (untyped).
// @ts-expect-error TS7016
import LocalStore from '@fastify/rate-limit/store/LocalStore.js';
// @ts-expect-error TS7016
import RedisStore from '@fastify/rate-limit/store/RedisStore.js';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';

const COMMAND_TIMEOUT_MS = 250;
const CONNECT_TIMEOUT_MS = 2000;
const MAX_RECONNECT_WAIT_MS = 2000;

export async function connectRedis(url: string, log: FastifyBaseLogger): Promise<Redis> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_WAIT_MS),
  });
  // One line when Redis goes away and one when it is back, not one per retry.
  let down = false;
  const lost = (err?: unknown) => {
    if (down) return;
    down = true;
    log.warn(
      { err },
      'Redis unreachable: rate limits are counted in memory, per instance, until it is back',
    );
  };
  redis.on('error', lost);
  redis.on('close', () => lost());
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info('Redis reachable again: rate limits are shared again');
  });
  return redis;
}

type Done = (err: Error | null, res?: { current: number; ttl: number }) => void;
interface Store {
  incr(key: string, done: Done, timeWindow: number, max: number): void;
  child(options: unknown): Store;
}

/** The store option: Redis while it is ready, else (and on a failed command) memory. */
export function fallbackStore(redis: Redis, nameSpace: string): FastifyRateLimitStoreCtor {
  const pair = (shared: Store, local: Store): Store => ({
    incr(key, done, timeWindow, max) {
      if (redis.status !== 'ready') return local.incr(key, done, timeWindow, max);
      shared.incr(
        key,
        (err, res) => (err ? local.incr(key, done, timeWindow, max) : done(null, res)),
        timeWindow,
        max,
      );
    },
    child: (options) => pair(shared.child(options), local.child(options)),
  });
  return function FallbackStore(
    this: unknown,
    o: { continueExceeding?: boolean; exponentialBackoff?: boolean },
  ) {
    return pair(
      new RedisStore(o.continueExceeding, o.exponentialBackoff, redis, nameSpace),
      new LocalStore(o.continueExceeding, o.exponentialBackoff),
    );
  } as unknown as FastifyRateLimitStoreCtor;
}
