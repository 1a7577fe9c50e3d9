// What can be done with items, independent of HTTP: a missing item is
// `undefined` (or `false` for a delete), and database errors propagate as
// they are. The frequent reads are prepared once per database (node-postgres
// then sends named statements that PostgreSQL parses and plans once per
// connection).
import { randomUUID } from 'node:crypto';
import { and, count, desc, eq, getTableColumns, sql } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.ts';
import type { Item, ItemCreate, ItemUpdate } from './schemas.ts';
import { items } from './table.ts';

// Ids are UUIDs; anything else names no item (and is not sent to the database).
const UUID = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/i;

const { seq: _seq, ...columns } = getTableColumns(items);
const newestFirst = [desc(items.created_at), desc(items.seq)];
const p = (name: string) => sql.placeholder(name);

// What the database would fill in for a column left out of an insert.
const DEFAULT_AVAILABLE = columns.is_available.default as boolean;
const DEFAULT_METADATA = columns.metadata.default as Record<string, unknown>;

/** White space only is no description at all. */
const description = (d: string | null | undefined) => (d === '' ? null : d);

function prepare(db: AppDatabase) {
  const available = eq(items.is_available, true);
  const list = (where?: ReturnType<typeof eq>) =>
    db
      .select(columns)
      .from(items)
      .where(where)
      .orderBy(...newestFirst)
      .limit(p('limit'))
      .offset(p('skip'));
  return {
    byId: db
      .select(columns)
      .from(items)
      .where(eq(items.id, p('id')))
      .prepare('items_by_id'),
    list: list().prepare('items_list'),
    listAvailable: list(available).prepare('items_list_available'),
    count: db.select({ n: count() }).from(items).prepare('items_count'),
    countAvailable: db
      .select({ n: count() })
      .from(items)
      .where(and(available))
      .prepare('items_count_available'),
    remove: db
      .delete(items)
      .where(eq(items.id, p('id')))
      .returning({ id: items.id })
      .prepare('items_delete'),
    // Every column is a parameter, so one statement serves every create; the
    // columns' own defaults (see ./table.ts) fill in what the client left out.
    insert: db
      .insert(items)
      .values({
        id: p('id'),
        name: p('name'),
        description: p('description'),
        price: p('price'),
        is_available: p('is_available'),
        metadata: p('metadata'),
      })
      .returning(columns)
      .prepare('items_insert'),
  };
}

export type ItemsService = ReturnType<typeof createItemsService>;

export function createItemsService(db: AppDatabase) {
  // Built on the first query rather than at start: the statements' SQL takes
  // a few ms to build, in a cold start that no probe needs them for.
  let prepared: ReturnType<typeof prepare> | undefined;
  const q = () => (prepared ??= prepare(db));

  return {
    async create(input: ItemCreate): Promise<Item> {
      const [row] = await q().insert.execute({
        id: randomUUID(),
        name: input.name,
        description: description(input.description) ?? null,
        price: input.price,
        is_available: input.is_available ?? DEFAULT_AVAILABLE,
        metadata: input.metadata ?? DEFAULT_METADATA,
      });
      return row as Item;
    },

    async get(id: string): Promise<Item | undefined> {
      if (!UUID.test(id)) return undefined;
      const [row] = await q().byId.execute({ id });
      return row;
    },

    list(query: { skip: number; limit: number; available_only: boolean }): Promise<Item[]> {
      return (query.available_only ? q().listAvailable : q().list).execute(query);
    },

    async count(availableOnly: boolean): Promise<number> {
      const [row] = await (availableOnly ? q().countAvailable : q().count).execute();
      return row?.n ?? 0;
    },

    async update(id: string, changes: ItemUpdate): Promise<Item | undefined> {
      if (!UUID.test(id)) return undefined;
      if (Object.keys(changes).length === 0) return this.get(id);
      const set =
        'description' in changes
          ? { ...changes, description: description(changes.description) }
          : changes;
      const [row] = await db
        .update(items)
        // Moves forward even when two updates fall in the same millisecond.
        .set({
          ...set,
          updated_at: sql`GREATEST(now(), ${items.updated_at} + interval '1 millisecond')`,
        })
        .where(eq(items.id, id))
        .returning(columns);
      return row;
    },

    /** False when there was no such item. */
    async remove(id: string): Promise<boolean> {
      if (!UUID.test(id)) return false;
      const rows = await q().remove.execute({ id });
      return rows.length > 0;
    },
  };
}
