// The Redis that all instances share their rate limits through (REDIS_URL).
// ioredis is loaded only when it is configured. A command never waits for a
// connection (no offline queue) and never longer than COMMAND_TIMEOUT_MS, so
// that while Redis is unreachable every request goes through unlimited
// (@fastify/rate-limit's skipOnError) instead of queueing; ioredis keeps
// reconnecting, and the limits apply again as soon as it is back.

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
    log.warn({ err }, 'Redis unreachable: rate limits are not enforced until it is back');
  };
  redis.on('error', lost);
  redis.on('close', () => lost());
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info('Redis reachable again: rate limits enforced');
  });
  return redis;
}
