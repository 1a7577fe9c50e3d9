// Tracing on: the real server exports its spans over OTLP/HTTP to a
// receiver in the test, which decodes them as a collector would.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { SAMPLED_CALLERS_PER_S } from '../../src/tracing/start.ts';
import { type Server, startServer } from '../helpers/process.ts';
import { otlpReceiver, type ReceivedSpan } from './otlp-receiver.ts';

const PROJECT = 'test-project';
const id = (bytes: number) => randomBytes(bytes).toString('hex');
const modulesFile = join(mkdtempSync(join(tmpdir(), 'tracing-')), 'modules.txt');

let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
let server: Server;
let logs: Record<string, unknown>[];
let exitCode: number | null;
let receivedBeforeSigterm: number;

// One server for the file: every request is made, then SIGTERM must flush
// what the batch processor still holds (it would wait 5 s otherwise).
const caller = { traceId: id(16), spanId: id(8) };
const cloudCaller = { traceId: id(16), spanId: 12345n };
const unsampledCaller = { traceId: id(16), spanId: id(8) };
let created: { status: number };
// A client that marks every request sampled, hoping to have each one traced.
const pushy = Array.from({ length: 40 }, () => id(16));

/**
 * POSTs `body` in a packet of its own, sent after the headers have been read:
 * the server reads it on later socket events, outside the context in which
 * it started the request.
 */
async function postLate(url: string, body: string, headers: Record<string, string>) {
  const req = request(url, {
    method: 'POST',
    headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
  });
  req.flushHeaders();
  await new Promise((resolve) => setTimeout(resolve, 200));
  req.end(body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  res.resume();
  await once(res, 'end');
  return { status: res.statusCode ?? 0 };
}

before(async () => {
  receiver = await otlpReceiver();
  server = await startServer({
    ENVIRONMENT: 'test',
    PGLITE_DIR: 'memory://',
    AUTH_DISABLED: 'true',
    ACCESS_LOG: 'true',
    GOOGLE_CLOUD_PROJECT: PROJECT,
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    // Requests without a caller's decision are never traced here, so every
    // span received is one the caller asked for.
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0',
    NODE_OPTIONS: '--import ./test/tracing/loaded-modules.ts',
    LOADED_MODULES_FILE: modulesFile,
  });
  const base = `http://127.0.0.1:${server.port}/api/v1/items`;
  created = await postLate(base, JSON.stringify({ name: 'traced', price: 1 }), {
    'content-type': 'application/json',
    traceparent: `00-${caller.traceId}-${caller.spanId}-01`,
  });
  await fetch(base, {
    headers: { 'x-cloud-trace-context': `${cloudCaller.traceId}/${cloudCaller.spanId};o=1` },
  });
  await fetch(base, { headers: { traceparent: `00-${unsampledCaller.traceId}-${id(8)}-00` } });
  await fetch(`${base}/stats/count`);
  await Promise.all(
    pushy.map((traceId) =>
      fetch(`http://127.0.0.1:${server.port}/live`, {
        headers: { traceparent: `00-${traceId}-${id(8)}-01` },
      }),
    ),
  );
  receivedBeforeSigterm = receiver.spans.length;
  server.child.kill('SIGTERM');
  exitCode = (await server.exited).code;
  logs = server
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
});

after(() => receiver.close());

const ofTrace = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);
const serverSpan = (spans: ReceivedSpan[]) => spans.find((s) => s.kind === SpanKind.SERVER + 1);

test('the spans still buffered are exported on SIGTERM, and the process exits 0', () => {
  assert.equal(exitCode, 0);
  assert.equal(receivedBeforeSigterm, 0);
  assert.ok(receiver.spans.length > 0);
  assert.deepEqual([...receiver.contentTypes], ['application/x-protobuf']);
});

test("a request's server span continues the caller's traceparent and has its query as a child, its body read later", () => {
  assert.equal(created.status, 201);
  const spans = ofTrace(caller.traceId);
  const root = serverSpan(spans);
  assert.ok(root, `no server span in ${JSON.stringify(spans)}`);
  assert.equal(root.name, 'POST /api/v1/items');
  assert.equal(root.parentSpanId, caller.spanId);
  assert.equal(root.attributes['http.route'], '/api/v1/items');
  assert.equal(root.attributes['http.request.method'], 'POST');
  assert.equal(root.attributes['http.response.status_code'], 201);
  assert.equal(root.resource['service.name'], 'runway');

  const queries = spans.filter((s) => s.parentSpanId === root.spanId);
  assert.equal(queries.length, 1, JSON.stringify(spans));
  const [insert] = queries as [ReceivedSpan];
  assert.equal(insert.kind, SpanKind.CLIENT + 1);
  assert.equal(insert.name, 'INSERT');
  assert.equal(insert.attributes['db.system.name'], 'postgresql');
  assert.equal(insert.attributes['db.operation.name'], 'INSERT');
  assert.match(String(insert.attributes['db.query.text']), /^insert into "items"/);
});

test("the request's log line carries its server span's trace and span ids", () => {
  const root = serverSpan(ofTrace(caller.traceId));
  const line = logs.find((l) => /^POST \/api\/v1\/items 201/.test(String(l.message)));
  assert.ok(line, 'no access log line for the POST');
  assert.equal(
    line['logging.googleapis.com/trace'],
    `projects/${PROJECT}/traces/${caller.traceId}`,
  );
  assert.equal(line['logging.googleapis.com/spanId'], root?.spanId);
  assert.equal(line['logging.googleapis.com/trace_sampled'], true);
});

test('X-Cloud-Trace-Context continues the trace too, its decimal span id as the parent', () => {
  const spans = ofTrace(cloudCaller.traceId);
  const root = serverSpan(spans);
  assert.equal(root?.name, 'GET /api/v1/items');
  assert.equal(root.parentSpanId, cloudCaller.spanId.toString(16).padStart(16, '0'));
  // A request without a body: its query is a child of its server span too.
  const queries = spans.filter((s) => s.parentSpanId === root.spanId);
  assert.equal(queries.length, 1, JSON.stringify(spans));
  assert.equal(queries[0]?.kind, SpanKind.CLIENT + 1);
  assert.equal(queries[0]?.name, 'SELECT');
});

test('a caller marking every request sampled gets at most the budget traced; the ratio decides the rest', () => {
  const traced = pushy.filter((traceId) => ofTrace(traceId).length > 0).length;
  assert.ok(traced >= 1, 'the budget lets some through');
  assert.ok(traced <= SAMPLED_CALLERS_PER_S + 1, `${traced} of ${pushy.length} traced`);
});

test("the caller's decision not to sample is followed, and the ratio applies to the rest", () => {
  assert.deepEqual(ofTrace(unsampledCaller.traceId), []);
  const count = logs.find((l) => /^GET \/api\/v1\/items\/stats\/count 200/.test(String(l.message)));
  const trace = String(count?.['logging.googleapis.com/trace']);
  assert.match(trace, /\/traces\/[\da-f]{32}$/);
  assert.equal(count?.['logging.googleapis.com/trace_sampled'], false);
  assert.deepEqual(ofTrace(trace.slice(-32)), []);
  const traces = new Set(receiver.spans.map((s) => s.traceId));
  for (const t of pushy) traces.delete(t);
  assert.deepEqual(traces, new Set([caller.traceId, cloudCaller.traceId]));
});

test('with tracing on, the OpenTelemetry SDK is loaded', () => {
  // The counterpart of the off-mode test: the list does show the SDK when it is there.
  assert.match(readFileSync(modulesFile, 'utf8'), /@opentelemetry\/sdk-trace\//);
});
