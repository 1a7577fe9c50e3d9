// Turns driver errors into client errors where the client is the cause (a
// value PostgreSQL refuses) or can retry (the database is unreachable), so
// neither shows up as an opaque 500.
import { ApiError, databaseUnavailable } from './api-error.ts';

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  '53300',
]);

function pgCode(err: unknown): string | undefined {
  // Drizzle wraps driver errors in DrizzleQueryError with the original as `cause`.
  for (
    let e: unknown = err, depth = 0;
    e && depth < 4;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const message = (e as { message?: unknown }).message;
    if (
      typeof message === 'string' &&
      /connection terminated|timeout exceeded when trying to connect|Connection terminated/i.test(
        message,
      )
    ) {
      return 'ECONNRESET';
    }
  }
  return undefined;
}

export function mapDatabaseError(err: unknown): unknown {
  const code = pgCode(err);
  if (code === undefined) return err;
  // Class 22 (data exception) and 23 (integrity constraint): the request's values.
  if (code.startsWith('22') || code.startsWith('23')) {
    return new ApiError(422, 'Invalid value', { database: 'a value was rejected by the database' });
  }
  // Class 08 (connection), 57P (shutdown, crash), 53300 (too many connections).
  if (code.startsWith('08') || code.startsWith('57P') || CONNECTION_CODES.has(code)) {
    return databaseUnavailable();
  }
  return err;
}
