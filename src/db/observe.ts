// Every query a client sends passes through here: a failure that is the
// database's (not a value the client sent) is counted for the runtime
// metrics, and with tracing on each query gets its span. The client's own
// `query` method is wrapped on the instance; no module is patched.
import { ApiError } from '../errors/api-error.ts';
import { mapDatabaseError } from '../errors/database-errors.ts';
import { count } from '../metrics/runtime.ts';

/** Runs one query (`run`), given its SQL, inside whatever the tracer adds. */
export type QueryTracer = <T>(sql: string, run: () => Promise<T>) => Promise<T>;

type Query = (...args: never[]) => Promise<unknown>;

function sqlOf(first: unknown): string {
  return typeof first === 'string' ? first : String((first as { text?: unknown })?.text ?? '');
}

function countFailure(err: unknown): never {
  const mapped = mapDatabaseError(err);
  if (!(mapped instanceof ApiError && mapped.statusCode < 500)) count('dbErrors');
  throw err;
}

/** Wraps `client.query`; returns the setter of the tracer (none: no spans). */
export function observeQueries(client: { query: Query }): (tracer?: QueryTracer) => void {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  let tracer: QueryTracer | undefined;
  client.query = ((...args: unknown[]) => {
    const run = () => query(...args).catch(countFailure);
    return tracer ? tracer(sqlOf(args[0]), run) : run();
  }) as Query;
  return (t) => {
    tracer = t;
  };
}
