import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTraceContext, traceLogFields } from '../../src/logging/trace.ts';
import { testApp } from '../helpers/app.ts';
import { pglite } from '../helpers/database.ts';

describe('trace context', () => {
  test('W3C traceparent', () => {
    assert.deepEqual(
      parseTraceContext({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }),
      {
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        sampled: true,
      },
    );
  });

  test('X-Cloud-Trace-Context, span id converted from decimal', () => {
    assert.deepEqual(
      parseTraceContext({ 'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/1;o=1' }),
      {
        traceId: '105445aa7843bc8bf206b12000100000',
        spanId: '0000000000000001',
        sampled: true,
      },
    );
    assert.equal(
      parseTraceContext({ 'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000' })?.spanId,
      undefined,
    );
  });

  test('malformed headers are ignored', () => {
    assert.equal(parseTraceContext({ traceparent: 'garbage' }), undefined);
    assert.equal(
      parseTraceContext({ traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' }),
      undefined,
    );
    assert.equal(parseTraceContext({ 'x-cloud-trace-context': 'nope/abc' }), undefined);
  });

  test('fields Cloud Logging reads', () => {
    assert.deepEqual(traceLogFields('proj', { traceId: 'abc', spanId: '01', sampled: false }), {
      'logging.googleapis.com/trace': 'projects/proj/traces/abc',
      'logging.googleapis.com/trace_sampled': false,
      'logging.googleapis.com/spanId': '01',
    });
  });
});

describe('request logs', () => {
  test('JSON lines with severity, message, time, trace and httpRequest; no secrets, no bodies', async () => {
    const { app, logs } = await testApp(await pglite.open(), {
      ACCESS_LOG: 'true',
      GOOGLE_CLOUD_PROJECT: 'my-proj',
    });
    await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: {
        authorization: 'Bearer top-secret-token',
        cookie: 'session=also-secret',
        'x-request-id': 'r-1',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        'user-agent': 'test-agent',
      },
      payload: { name: 'body-marker-name', price: 1 },
    });
    await app.close();
    const line = logs.find((l) => l.requestId === 'r-1');
    assert.ok(line, 'a request line was written');
    assert.equal(line.severity, 'INFO');
    assert.equal(typeof line.message, 'string');
    assert.match(String(line.time), /^\d{4}-\d\d-\d\dT/);
    assert.equal(
      line['logging.googleapis.com/trace'],
      'projects/my-proj/traces/4bf92f3577b34da6a3ce929d0e0e4736',
    );
    assert.equal(line['logging.googleapis.com/spanId'], '00f067aa0ba902b7');
    assert.equal(line['logging.googleapis.com/trace_sampled'], true);
    const http = line.httpRequest as Record<string, unknown>;
    assert.equal(http.requestMethod, 'POST');
    assert.equal(http.status, 201);
    assert.equal(http.userAgent, 'test-agent');
    assert.match(String(http.latency), /^\d+\.\d{3}s$/);
    const all = JSON.stringify(logs);
    assert.doesNotMatch(all, /top-secret-token|also-secret|body-marker-name/);
  });

  test('with the access log off, only slow requests and server errors are logged', async () => {
    const { app, logs } = await testApp(
      await pglite.open(),
      { ACCESS_LOG: 'false', SLOW_REQUEST_MS: '50' },
      (a) => {
        a.get('/slow', { config: { public: true } }, async () => {
          await new Promise((r) => setTimeout(r, 80));
          return { ok: true };
        });
      },
    );
    await app.inject({ url: '/health', headers: { 'x-request-id': 'fast' } });
    await app.inject({ url: '/slow', headers: { 'x-request-id': 'slow' } });
    await app.close();
    assert.equal(logs.filter((l) => l.requestId === 'fast').length, 0);
    const slow = logs.find((l) => l.requestId === 'slow');
    assert.equal(slow?.severity, 'WARNING');
  });
});
