// Smoke test of a deployed (or locally running) revision: readiness, then an
// items round trip that cleans up after itself. The deploy workflow runs it
// against the tagged no-traffic URL before promoting; the container test runs
// it against the local container.
//
//   node deploy/scripts/smoke-test.ts --url https://sha-abc1234---svc-xyz.a.run.app [--timeout-s 90]
//
// A private service needs an ID token: put it in the environment variable
// SMOKE_ID_TOKEN (kept out of argv so it never shows in a process list).
// Exit codes: 0 passed, 1 a check failed, 2 bad usage.

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface SmokeOptions {
  baseUrl: string;
  idToken?: string | undefined;
  /** How long readiness may take (a new revision may start from zero instances). */
  readyTimeoutMs?: number;
  requestTimeoutMs?: number;
  log?: (line: string) => void;
}

export class SmokeFailure extends Error {
  override name = 'SmokeFailure';
}

interface Reply {
  status: number;
  json: unknown;
  text: string;
}

async function call(o: SmokeOptions, method: string, path: string, body?: unknown): Promise<Reply> {
  const url = new URL(path, o.baseUrl.endsWith('/') ? o.baseUrl : `${o.baseUrl}/`);
  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': 'runway-smoke-test',
  };
  if (o.idToken) headers.authorization = `Bearer ${o.idToken}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(o.requestTimeoutMs ?? 10_000),
      redirect: 'manual',
    });
  } catch (err) {
    throw new SmokeFailure(
      `${method} ${url.pathname}: no answer (${(err as Error).cause ?? (err as Error).message})`,
    );
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

function expect(cond: unknown, what: string, r: Reply): asserts cond {
  if (!cond) {
    const hint =
      r.status === 401 || r.status === 403
        ? ' (private service: give the caller roles/run.invoker and pass an ID token in SMOKE_ID_TOKEN)'
        : '';
    throw new SmokeFailure(`${what}: got HTTP ${r.status} ${r.text.slice(0, 300)}${hint}`);
  }
}

export async function smokeTest(
  o: SmokeOptions,
): Promise<{ itemId: string; readyAfterMs: number }> {
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  const deadline = t0 + (o.readyTimeoutMs ?? 90_000);
  let ready: Reply | undefined;
  let lastError = '';
  // Readiness: retried until the deadline, because the first request may
  // wait for an instance to start and its database pool to connect.
  while (performance.now() < deadline) {
    try {
      ready = await call(o, 'GET', 'ready');
      if (ready.status === 200) break;
      if (ready.status === 401 || ready.status === 403 || ready.status === 404) break; // will not get better
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (!ready) throw new SmokeFailure(`GET /ready: ${lastError || 'no answer before the deadline'}`);
  expect(
    ready.status === 200 && (ready.json as { status?: string })?.status === 'ready',
    'GET /ready',
    ready,
  );
  const readyAfterMs = Math.round(performance.now() - t0);
  log(`ready after ${readyAfterMs} ms`);

  const live = await call(o, 'GET', 'live');
  expect(live.status === 200, 'GET /live', live);

  const name = `smoke-test ${new Date().toISOString()}`;
  const created = await call(o, 'POST', 'api/v1/items', {
    name,
    description: 'written and deleted by the deploy smoke test',
    price: 1.25,
    metadata: { smoke_test: true },
  });
  const item = created.json as { id?: string; name?: string; price?: number } | undefined;
  expect(
    created.status === 201 && typeof item?.id === 'string' && item.name === name,
    'POST /api/v1/items',
    created,
  );
  const id = item.id as string;
  log(`created item ${id}`);
  try {
    const got = await call(o, 'GET', `api/v1/items/${id}`);
    expect(
      got.status === 200 && (got.json as { id?: string })?.id === id,
      `GET /api/v1/items/${id}`,
      got,
    );
    const patched = await call(o, 'PATCH', `api/v1/items/${id}`, { price: 2.5 });
    expect(
      patched.status === 200 && (patched.json as { price?: number })?.price === 2.5,
      `PATCH /api/v1/items/${id}`,
      patched,
    );
  } finally {
    // Clean up even when a check above failed, so a smoke test leaves no rows.
    const deleted = await call(o, 'DELETE', `api/v1/items/${id}`);
    expect(deleted.status === 204, `DELETE /api/v1/items/${id}`, deleted);
  }
  const gone = await call(o, 'GET', `api/v1/items/${id}`);
  expect(gone.status === 404, `GET /api/v1/items/${id} after DELETE (expected 404)`, gone);
  log('items round trip passed');
  return { itemId: id, readyAfterMs };
}

async function main(): Promise<number> {
  let values: { url?: string; 'timeout-s'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string' },
        'timeout-s': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`smoke-test: ${(err as Error).message}`);
    return 2;
  }
  if (values.help) {
    console.log(
      'usage: node deploy/scripts/smoke-test.ts --url URL [--timeout-s 90]  (ID token in $SMOKE_ID_TOKEN)',
    );
    return 0;
  }
  if (!values.url || !/^https?:\/\//.test(values.url)) {
    console.error('smoke-test: --url https://... is required (the tagged revision URL)');
    return 2;
  }
  const timeoutS = Number(values['timeout-s'] ?? '90');
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
    console.error(
      'smoke-test: --timeout-s must be a positive number of seconds, e.g. --timeout-s 90',
    );
    return 2;
  }
  try {
    await smokeTest({
      baseUrl: values.url,
      idToken: process.env.SMOKE_ID_TOKEN || undefined,
      readyTimeoutMs: timeoutS * 1000,
      log: (l) => console.log(`smoke-test: ${l}`),
    });
    console.log(`smoke-test: PASSED against ${values.url}`);
    return 0;
  } catch (err) {
    console.error(`smoke-test: FAILED against ${values.url}: ${(err as Error).message}`);
    return 1;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
