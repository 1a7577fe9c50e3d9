// API keys in the database: made, listed, revoked (by the operator CLI) and
// verified (on every request). Nothing here knows HTTP.
//
// Verification reads a key's row from a per-instance cache that is never
// older than REVALIDATE_MS, so that a revocation on one instance reaches
// every instance within that time without a database read per request.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { asc, eq, getTableColumns, sql } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.ts';
import { KEY_ID, newKey, parseKey } from './key-format.ts';
import type { Principal } from './principal.ts';
import { type ApiKeyRow, apiKeys } from './table.ts';

/** Revocation reaches every instance within this, plus one database read. */
export const REVALIDATE_MS = 4000;
const LAST_USE_WRITE_MS = 60_000;
const CACHE_MAX = 10_000;

export type KeyInfo = Omit<ApiKeyRow, 'secret_hash'>;

const hash = (pepper: string, secret: string) =>
  createHmac('sha256', pepper).update(secret).digest();

export function createKeyStore(db: AppDatabase, pepper: string) {
  const { secret_hash: _hash, ...info } = getTableColumns(apiKeys);
  let byId: ReturnType<typeof prepareById> | undefined;
  const prepareById = () =>
    db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.id, sql.placeholder('id')))
      .prepare('api_keys_by_id');

  return {
    /** A new key: the returned `key` is its only plaintext copy. */
    async create(input: { name: string; scopes: string[]; expiresAt?: Date }) {
      const { id, secret, key } = newKey();
      const [row] = await db
        .insert(apiKeys)
        .values({
          id,
          name: input.name,
          scopes: input.scopes,
          secret_hash: hash(pepper, secret).toString('hex'),
          expires_at: input.expiresAt ?? null,
        })
        .returning(info);
      return { ...(row as KeyInfo), key };
    },

    list(): Promise<KeyInfo[]> {
      return db.select(info).from(apiKeys).orderBy(asc(apiKeys.created_at), asc(apiKeys.id));
    },

    /** False when there is no such key; revoking a revoked key keeps its first time. */
    async revoke(id: string): Promise<boolean> {
      if (!KEY_ID.test(id)) return false;
      const rows = await db
        .update(apiKeys)
        .set({ revoked_at: sql`COALESCE(${apiKeys.revoked_at}, now())` })
        .where(eq(apiKeys.id, id))
        .returning({ id: apiKeys.id });
      return rows.length > 0;
    },

    async count(): Promise<number> {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(apiKeys);
      return row?.n ?? 0;
    },

    /** Reads one row; used by the verifier through its cache. */
    async find(id: string): Promise<ApiKeyRow | undefined> {
      byId ??= prepareById();
      const [row] = await byId.execute({ id });
      return row;
    },

    async touch(id: string, at: Date): Promise<void> {
      await db.update(apiKeys).set({ last_used_at: at }).where(eq(apiKeys.id, id));
    },

    hash: (secret: string) => hash(pepper, secret),
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;

interface Cached {
  row: Promise<ApiKeyRow | undefined>;
  until: number;
}

/**
 * Checks presented keys. A malformed key or a bad checksum is refused
 * before any lookup; the secret is compared in constant time with the
 * stored HMAC. `onError` hears of failed last-use writes.
 */
export function createKeyVerifier(store: KeyStore, onError: (err: unknown) => void) {
  const cache = new Map<string, Cached>();
  const lastWrite = new Map<string, number>();

  function row(id: string, now: number) {
    let entry = cache.get(id);
    if (!entry || entry.until <= now) {
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
      const read = store.find(id);
      entry = { row: read, until: now + REVALIDATE_MS };
      cache.set(id, entry);
      // A failed read is not cached: the next request asks again.
      read.catch(() => cache.delete(id));
    }
    return entry.row;
  }

  return async function verify(key: string): Promise<Principal | undefined> {
    const parts = parseKey(key);
    if (!parts) return undefined;
    const now = Date.now();
    const found = await row(parts.id, now);
    if (!found) return undefined;
    const presented = store.hash(parts.secret);
    const stored = Buffer.from(found.secret_hash, 'hex');
    if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) return undefined;
    if (found.revoked_at || (found.expires_at && found.expires_at.getTime() <= now))
      return undefined;
    if ((lastWrite.get(found.id) ?? 0) + LAST_USE_WRITE_MS <= now) {
      lastWrite.set(found.id, now);
      store.touch(found.id, new Date(now)).catch(onError);
    }
    return { id: `key:${found.id}`, scopes: found.scopes };
  };
}
