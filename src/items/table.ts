// The item, stated once: this table gives the migrations (drizzle-kit), the
// queries' types, and through ./schemas.ts the validation and OpenAPI schemas.
// Column keys are the wire names, so nothing maps between them.
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  doublePrecision,
  index,
  jsonb,
  pgTable,
  timestamp,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';

export const NAME_MAX = 100;
export const DESCRIPTION_MAX = 500;

const timestamptz = (name: string) =>
  timestamp(name, { withTimezone: true, precision: 3, mode: 'date' }).notNull().defaultNow();

export const items = pgTable(
  'items',
  {
    id: uuid('id').primaryKey(),
    // varchar(n) counts characters (code points), as the API's rules do.
    name: varchar('name', { length: NAME_MAX }).notNull(),
    description: varchar('description', { length: DESCRIPTION_MAX }),
    price: doublePrecision('price').notNull(),
    is_available: boolean('is_available').notNull().default(true),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    created_at: timestamptz('created_at'),
    updated_at: timestamptz('updated_at'),
    // Breaks ties in created_at so that the later insert lists first; never sent to clients.
    seq: bigint('seq', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
  },
  // NULLS FIRST is what a plain `ORDER BY ... DESC` means; the index must say
  // the same for PostgreSQL to read the list straight from it.
  (t) => [
    check('items_price_positive', sql`${t.price} > 0`),
    index('items_created_idx').on(t.created_at.desc().nullsFirst(), t.seq.desc().nullsFirst()),
    index('items_available_created_idx').on(
      t.is_available,
      t.created_at.desc().nullsFirst(),
      t.seq.desc().nullsFirst(),
    ),
  ],
);

export type ItemRow = typeof items.$inferSelect;
