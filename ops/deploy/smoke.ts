// The smoke test of a revision before it gets traffic: readiness, then an
// items round trip that deletes what it wrote. The deploy runs it against the
// new revision's tag URL, the container test against the local container.
import { DeployFailure } from './logs.ts';

export interface SmokeOptions {
  baseUrl: string;
  /** An ID token, for a service that only invokers may call. */
  idToken?: string | undefined;
  /** An API key with items:read and items:write, for the app's own authentication. */
  apiKey?: string | undefined;
  /** How long readiness may take: a new revision may start from zero instances. */
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

type Reply = { status: number; json: Record<string, unknown> | undefined; text: string };

async function call(o: SmokeOptions, method: string, path: string, body?: unknown): Promise<Reply> {
  const headers: Record<string, string> = { accept: 'application/json' };
  // Cloud Run's invoker check reads Authorization; the app reads X-API-Key first.
  if (o.idToken) headers.authorization = `Bearer ${o.idToken}`;
  if (o.apiKey) headers['x-api-key'] = o.apiKey;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, o.baseUrl), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
    redirect: 'manual',
  }).catch((err) => {
    throw new DeployFailure(`${method} ${path}: no answer (${err.cause ?? err})`);
  });
  const json = (await res
    .clone()
    .json()
    .catch(() => undefined)) as Reply['json'];
  return { status: res.status, json, text: await res.text() };
}

function check(ok: boolean, what: string, r: Reply) {
  if (ok) return;
  const hint = [401, 403].includes(r.status)
    ? ' (a private service needs roles/run.invoker and an ID token in SMOKE_ID_TOKEN; the app needs an API key with items:read,items:write in SMOKE_API_KEY)'
    : '';
  throw new DeployFailure(`${what}: got HTTP ${r.status} ${r.text.slice(0, 300)}${hint}`);
}

export async function smokeTest(o: SmokeOptions): Promise<void> {
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  let ready: Reply | undefined;
  let error = new DeployFailure('GET /ready: no answer before the deadline');
  // Retried until the deadline: the first request may wait for an instance to
  // start and connect to its database. 401, 403 and 404 will not get better.
  while (performance.now() - t0 < (o.readyTimeoutMs ?? 120_000)) {
    try {
      ready = await call(o, 'GET', '/ready');
      if ([200, 401, 403, 404].includes(ready.status)) break;
    } catch (err) {
      error = err as DeployFailure;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (!ready) throw error;
  check(ready.status === 200, 'GET /ready', ready);
  log(`ready after ${Math.round(performance.now() - t0)} ms`);
  const live = await call(o, 'GET', '/live');
  check(live.status === 200, 'GET /live', live);

  const items = '/api/v1/items';
  const name = `smoke-test ${new Date().toISOString()}`;
  const made = await call(o, 'POST', items, { name, price: 1.25, metadata: { smoke_test: true } });
  const id = made.json?.id;
  check(made.status === 201 && typeof id === 'string', `POST ${items}`, made);
  try {
    const got = await call(o, 'GET', `${items}/${id}`);
    check(got.status === 200 && got.json?.id === id, `GET ${items}/${id}`, got);
    const patched = await call(o, 'PATCH', `${items}/${id}`, { price: 2.5 });
    check(patched.status === 200 && patched.json?.price === 2.5, `PATCH ${items}/${id}`, patched);
  } finally {
    // Even after a failed check, so that a smoke test leaves no rows behind.
    const deleted = await call(o, 'DELETE', `${items}/${id}`);
    check(deleted.status === 204, `DELETE ${items}/${id}`, deleted);
  }
  const gone = await call(o, 'GET', `${items}/${id}`);
  check(gone.status === 404, `GET ${items}/${id} after DELETE`, gone);
  log('items round trip passed');
}
