// Every table of the service, for drizzle-kit (migrations) and the query builder.
export { items } from '../items/table.ts';
