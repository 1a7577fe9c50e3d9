// Every table of the service, for drizzle-kit (migrations) and the query builder.
export { apiKeys } from '../auth/table.ts';
export { items } from '../items/table.ts';
