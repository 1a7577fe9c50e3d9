// The API's view of an item, derived from the table: types, lengths and
// nullability come from ./table.ts; what only the API knows (trimming, price
// above zero, no NUL characters, ISO timestamps) is added here.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { createInsertSchema, createSelectSchema, createUpdateSchema } from 'drizzle-typebox';
import { items } from './table.ts';

// PostgreSQL cannot store NUL in text; refusing it here makes it a 422, not a 500.
const NO_NUL = '^[^\\u0000]*$';

const Name = (s: TSchema) =>
  Type.String({
    ...s,
    trim: true,
    minLength: 1,
    pattern: NO_NUL,
    description: 'Trimmed; 1 to 100 characters (code points) after trimming',
    examples: ['Example Item'],
  });
const Description = (s: TSchema) =>
  Type.String({
    ...s,
    trim: true,
    pattern: NO_NUL,
    description: 'Trimmed; white space only is stored as null',
  });
const Price = Type.Number({ exclusiveMinimum: 0, examples: [29.99] });
export const METADATA_MAX_DEPTH = 32;
const Metadata = Type.Record(Type.String(), Type.Unknown(), {
  maxDepth: METADATA_MAX_DEPTH,
  description: `Any JSON object, its objects and arrays nested at most ${METADATA_MAX_DEPTH} levels deep (the object itself is the first)`,
  examples: [{ category: 'electronics', tags: ['new'] }],
});
// Dates leave the service as ISO 8601 strings in UTC (fast-json-stringify calls toISOString).
const Timestamp = Type.Unsafe<Date>({ type: 'string', format: 'date-time' });

/**
 * A nullable column comes out of drizzle-typebox as anyOf [T, null]; as a
 * type list the serializer writes it without trying each branch in turn.
 */
function typeList<T extends TSchema>(schema: T): T {
  const branches = (schema as { anyOf?: TSchema[] }).anyOf;
  const base = branches?.find((b) => b.type !== 'null');
  if (!branches || !base || branches.length !== 2) return schema;
  return { ...base, type: [base.type, 'null'] } as unknown as T;
}

const selected = createSelectSchema(items, {
  price: Price,
  metadata: Metadata,
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const Item = Type.Object(
  {
    ...Type.Omit(selected, ['seq']).properties,
    description: typeList(selected.properties.description),
  },
  { $id: 'Item', title: 'Item' },
);
export type Item = Static<typeof Item>;

const SERVER_SET = ['id', 'seq', 'created_at', 'updated_at'] as const;
// Functions, not schemas: drizzle-typebox then keeps each column's
// optionality (a column with a default may be left out of a create).
const refinements = {
  name: Name,
  description: Description,
  price: () => Price,
  metadata: () => Metadata,
};

export const ItemCreate = Type.Omit(createInsertSchema(items, refinements), SERVER_SET, {
  title: 'ItemCreate',
  additionalProperties: false,
});
export type ItemCreate = Static<typeof ItemCreate>;

export const ItemUpdate = Type.Omit(createUpdateSchema(items, refinements), SERVER_SET, {
  title: 'ItemUpdate',
  additionalProperties: false,
  description: 'Only the fields sent change',
});
export type ItemUpdate = Static<typeof ItemUpdate>;

export const ItemId = Type.Object({
  id: Type.String({ description: 'The item id (a UUID); anything else is simply not found' }),
});

const AvailableOnly = Type.Boolean({
  default: false,
  description: 'Only items with is_available true',
});

export const ListQuery = Type.Object({
  // Bounded so that a number too large for PostgreSQL is a 422, not a database error.
  skip: Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 100 }),
  available_only: AvailableOnly,
});
export type ListQuery = Static<typeof ListQuery>;

export const CountQuery = Type.Object({ available_only: AvailableOnly });
export type CountQuery = Static<typeof CountQuery>;

export const Count = Type.Object({ count: Type.Integer({ minimum: 0 }) }, { title: 'Count' });
