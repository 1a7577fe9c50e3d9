// Every query a client sends passes through here: a failure that is the
// database's (not a value the client sent) is counted for the runtime
// metrics, and with tracing on each query gets its span. The client's own
// `query` method is wrapped on the instance; no module is patched.
import { ApiError } from '../errors/api-error.ts';
import { mapDatabaseError } from '../errors/database-errors.ts';

/** Runs one query (`run`), given its SQL, inside whatever the tracer adds. */
export type QueryTracer = <T>(sql: string, run: () => Promise<T>) => Promise<T>;

/** What watches the queries: a tracer for spans, a counter for the database's failures. */
export interface QueryObserver {
  trace?: QueryTracer | undefined;
  failed?: () => void;
}

type Query = (...args: never[]) => Promise<unknown>;

function sqlOf(first: unknown): string {
  return typeof first === 'string' ? first : String((first as { text?: unknown })?.text ?? '');
}

/** Wraps `client.query`; returns the setter of its observer (none: no spans, nothing counted). */
export function observeQueries(client: { query: Query }): (observer: QueryObserver) => void {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  let observer: QueryObserver = {};
  const failed = (err: unknown): never => {
    const mapped = mapDatabaseError(err);
    if (!(mapped instanceof ApiError && mapped.statusCode < 500)) observer.failed?.();
    throw err;
  };
  client.query = ((...args: unknown[]) => {
    const run = () => query(...args).catch(failed);
    return observer.trace ? observer.trace(sqlOf(args[0]), run) : run();
  }) as Query;
  return (o) => {
    observer = o;
  };
}
