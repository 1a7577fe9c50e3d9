// API keys as the database holds them: never the key, only an HMAC of its
// secret under the server's pepper (API_KEY_PEPPER).
import { pgTable, text, timestamp, varchar } from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

export const apiKeys = pgTable('api_keys', {
  id: varchar('id', { length: 12 }).primaryKey(),
  name: varchar('name', { length: 100 }).notNull(),
  /** HMAC-SHA256 of the secret, hex. */
  secret_hash: varchar('secret_hash', { length: 64 }).notNull(),
  scopes: text('scopes').array().notNull(),
  created_at: at('created_at').notNull().defaultNow(),
  expires_at: at('expires_at'),
  revoked_at: at('revoked_at'),
  /** Written at most once a minute per instance, not on every request. */
  last_used_at: at('last_used_at'),
});

export type ApiKeyRow = typeof apiKeys.$inferSelect;
