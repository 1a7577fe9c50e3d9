// CPU per request of each security layer, measured on the functions
// themselves (no HTTP): node bench/auth-layers.ts. Each figure is
// process.cpuUsage() over N calls ÷ N, after a warm-up; Redis also gives the
// wall time of a round trip to 127.0.0.1:6379. The HTTP hooks around these
// calls (an async onRequest hook each, two headers) are not in the figures.
import { createRequire } from 'node:module';
import pino from 'pino';
import { createKeyStore, createKeyVerifier } from '../src/auth/keys.ts';
import { createTokenVerifier, oidcIssuer } from '../src/auth/tokens.ts';
import { openPglite } from '../src/db/pglite.ts';
import { localIssuer, signingKey } from '../test/auth/issuer.ts';

const require = createRequire(import.meta.url);
const LocalStore = require('@fastify/rate-limit/store/LocalStore');
const RedisStore = require('@fastify/rate-limit/store/RedisStore');

async function cpu(name: string, n: number, call: (i: number) => unknown, warm = true) {
  if (warm) for (let i = 0; i < Math.min(n, 2000); i++) await call(i);
  const start = process.cpuUsage();
  const wall = performance.now();
  for (let i = 0; i < n; i++) await call(i);
  const used = process.cpuUsage(start);
  const us = (used.user + used.system) / n;
  const ms = (performance.now() - wall) / n;
  console.log(
    `${name.padEnd(44)} ${us.toFixed(2).padStart(8)} CPU us/call ${(ms * 1000).toFixed(1).padStart(9)} wall us/call`,
  );
}

const database = await openPglite('memory://', pino({ level: 'silent' }));
await database.migrate();
const keys = createKeyStore(database.db, 'bench-pepper-of-at-least-thirty-two-characters');
const { key } = await keys.create({ name: 'bench', scopes: ['items:read'] });
const verifyKey = createKeyVerifier(keys, () => {});
await cpu('API key, seen before (SHA-256 of the key, cache)', 50_000, () => verifyKey(key));

const issuer = await localIssuer();
const k1 = await signingKey('k1');
issuer.publish(k1);
const verifyToken = createTokenVerifier([oidcIssuer(issuer.issuer, 'bench', ['RS256'])], () => {});
const tokens = await Promise.all(
  Array.from({ length: 4000 }, (_, i) => issuer.sign(k1, { aud: 'bench', sub: `u${i}` })),
);
// Warmed on tokens of their own: each measured token is new to the cache.
for (const t of tokens.slice(0, 2000)) await verifyToken(t);
await cpu(
  'JWT RS256, first sight (full verify)',
  2000,
  (i) => verifyToken(tokens[2000 + i] as string),
  false,
);
await cpu('JWT, seen before (SHA-256 of the token, cache)', 50_000, (i) =>
  verifyToken(tokens[i % 2000] as string),
);
issuer.close();

interface Store {
  incr(key: string, cb: (err: unknown, result: unknown) => void, window: number, max: number): void;
}
const incr = (store: Store, k: string) =>
  new Promise((resolve, reject) =>
    store.incr(k, (e: unknown, r: unknown) => (e ? reject(e) : resolve(r)), 60_000, 1e9),
  );
const memory = new LocalStore(false, false, 5000);
await cpu('rate limit, memory store', 50_000, (i) => incr(memory, `p:key:${i % 100}`));
const { Redis } = await import('ioredis');
const redis = new Redis('redis://127.0.0.1:6379', { enableOfflineQueue: true });
const shared = new RedisStore(false, false, redis, 'bench-rate-limit:');
await cpu('rate limit, Redis store (this process only)', 20_000, (i) =>
  incr(shared, `p:key:${i % 100}`),
);
redis.disconnect();
await database.close();
