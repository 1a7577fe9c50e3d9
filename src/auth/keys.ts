// API keys in the database: made, listed, revoked (by the operator CLI) and
// verified (on every request). Nothing here knows HTTP.
//
// Verification reads a key's row from a per-instance cache that is never
// older than REVALIDATE_MS, so that a revocation on one instance reaches
// every instance within that time without a database read per request.
import { createHmac, hash as digestOf, timingSafeEqual } from 'node:crypto';
import { asc, eq, getTableColumns, sql } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.ts';
import { remember } from './bounded-cache.ts';
import { KEY_ID, newKey, parseKey } from './key-format.ts';
import { Lookup, type Verdict } from './lookup.ts';
import type { Principal } from './principal.ts';
import { type ApiKeyRow, apiKeys } from './table.ts';

/** Revocation reaches every instance within this, plus one database read. */
export const REVALIDATE_MS = 4000;
const LAST_USE_WRITE_MS = 60_000;

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
  read: Promise<ApiKeyRow | undefined>;
  /** The row once read; null: no such key, remembered as a miss. */
  row?: ApiKeyRow | null;
  until: number;
}

interface Verified {
  principal: Principal;
  id: string;
  expires: number;
  /** The row was read no earlier than this minus REVALIDATE_MS. */
  until: number;
}

/**
 * Checks presented keys. A malformed key or a bad checksum is refused
 * before any lookup; the secret is compared in constant time with the
 * stored HMAC. A key whose row a cache holds (an unknown id too, as a miss)
 * is settled at once; any other is a Lookup, which the caller's address
 * pays for before the row is read. A key that passed is remembered by the
 * SHA-256 of the whole key (never the key itself) until its row is due to
 * be read again, so that a client sending the same key pays one hash per
 * request instead of the parse, the HMAC and the comparison. `onError`
 * hears of failed last-use writes.
 */
export function createKeyVerifier(store: KeyStore, onError: (err: unknown) => void) {
  const cache = new Map<string, Cached>();
  const verified = new Map<string, Verified>();
  const lastWrite = new Map<string, number>();

  function read(id: string, now: number): Cached {
    const entry: Cached = { read: store.find(id), until: now + REVALIDATE_MS };
    remember(cache, id, entry);
    entry.read.then(
      (row) => {
        entry.row = row ?? null;
      },
      // A failed read is not cached: the next request asks again.
      () => cache.get(id) === entry && cache.delete(id),
    );
    return entry;
  }

  function used(id: string, now: number) {
    if ((lastWrite.get(id) ?? 0) + LAST_USE_WRITE_MS > now) return;
    lastWrite.set(id, now);
    store.touch(id, new Date(now)).catch(onError);
  }

  function check(found: ApiKeyRow | null, secret: string, digest: string, entry: Cached) {
    if (!found) return undefined;
    const presented = store.hash(secret);
    const stored = Buffer.from(found.secret_hash, 'hex');
    if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) return undefined;
    const now = Date.now();
    const expires = found.expires_at?.getTime() ?? Number.POSITIVE_INFINITY;
    if (found.revoked_at || expires <= now) return undefined;
    used(found.id, now);
    const principal = { id: `key:${found.id}`, scopes: found.scopes };
    remember(verified, digest, { principal, id: found.id, expires, until: entry.until });
    return principal;
  }

  return function verify(key: string): Verdict<Principal | undefined> {
    const digest = digestOf('sha256', key, 'base64url');
    const now = Date.now();
    const hit = verified.get(digest);
    if (hit && hit.until > now && hit.expires > now) {
      used(hit.id, now);
      return hit.principal;
    }
    if (hit) verified.delete(digest);
    const parts = parseKey(key);
    if (!parts) return undefined;
    const cached = cache.get(parts.id);
    if (cached?.row !== undefined && cached.until > now)
      return check(cached.row, parts.secret, digest, cached);
    return new Lookup(
      async () => {
        // Requests for one key id that wait together share one read.
        let entry = cache.get(parts.id);
        if (!entry || entry.until <= Date.now()) entry = read(parts.id, Date.now());
        return check((await entry.read) ?? null, parts.secret, digest, entry);
      },
      hit && hit.expires > now ? hit.principal.id : undefined,
    );
  };
}
