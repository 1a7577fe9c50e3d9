// Every error, the framework's own included, has the error body; no bad
// input reaches a 5xx.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { testApp } from '../helpers/app.ts';
import { pglite } from '../helpers/database.ts';
import { assertErrorBody, ITEMS } from '../helpers/items.ts';

describe('error responses', () => {
  let app: FastifyInstance;
  let logs: Record<string, unknown>[];
  before(async () => {
    const database = await pglite.open();
    ({ app, logs } = await testApp(database, {}, (a) => {
      a.get('/boom', { config: { public: true } }, async () => {
        throw new Error('secret internal detail: password=hunter2');
      });
    }));
  });
  after(() => app.close());

  const post = (payload: string, contentType = 'application/json') =>
    app.inject({ method: 'POST', url: ITEMS, payload, headers: { 'content-type': contentType } });

  test('malformed JSON, empty bodies and non-objects are 422 with the error body', async () => {
    for (const [payload, field, message] of [
      ['{bad json', 'body', 'must be valid JSON'],
      ['{"name": "a", "price": 1,}', 'body', 'must be valid JSON'],
      ['', 'body', 'must be a JSON object'],
      ['[1, 2]', 'body', 'must be a JSON object'],
      ['"a string"', 'body', 'must be a JSON object'],
      ['null', 'body', 'must be a JSON object'],
      ['42', 'body', 'must be a JSON object'],
    ]) {
      const res = await post(payload as string);
      assert.equal(res.statusCode, 422, `payload ${payload}`);
      assertErrorBody(res.json(), ITEMS);
      assert.equal(res.json().details[field as string], message, `payload ${payload}`);
    }
  });

  test('a body over 1 MiB is 413', async () => {
    const res = await post(
      JSON.stringify({ name: 'a', price: 1, description: 'x'.repeat(1024 * 1024) }),
    );
    assert.equal(res.statusCode, 413);
    assertErrorBody(res.json(), ITEMS);
  });

  test('a body that is not JSON is 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await post('name=a&price=1', type);
      assert.equal(res.statusCode, 415, type);
      assertErrorBody(res.json(), ITEMS);
    }
  });

  test('an unknown route is 404, a known path with another method 405 with Allow', async () => {
    const missing = await app.inject({ url: '/nope?x=1' });
    assert.equal(missing.statusCode, 404);
    assertErrorBody(missing.json(), '/nope');

    const put = await app.inject({
      method: 'PUT',
      url: `${ITEMS}/00000000-0000-4000-8000-000000000000`,
    });
    assert.equal(put.statusCode, 405);
    assertErrorBody(put.json(), `${ITEMS}/00000000-0000-4000-8000-000000000000`);
    assert.equal(put.headers.allow, 'DELETE, GET, HEAD, PATCH');

    const deleteList = await app.inject({ method: 'DELETE', url: ITEMS });
    assert.equal(deleteList.statusCode, 405);
    assert.equal(deleteList.headers.allow, 'GET, HEAD, POST');
  });

  test('validation errors list every failing field', async () => {
    const res = await post(
      JSON.stringify({
        name: '   ',
        price: '10',
        is_available: 'x',
        metadata: 'm',
        description: 5,
      }),
    );
    assert.equal(res.statusCode, 422);
    assertErrorBody(res.json(), ITEMS);
    assert.deepEqual(res.json().details, {
      name: 'must not be empty',
      price: 'must be a number',
      is_available: 'must be a boolean',
      metadata: 'must be a JSON object',
      description: 'must be a string',
    });
    const missing = await post('{}');
    assert.deepEqual(missing.json().details, { name: 'field required', price: 'field required' });
  });

  test('bad values are 4xx, never 5xx', async () => {
    const cases: [Record<string, unknown> | string, Record<string, string>][] = [
      [{ name: '   ', price: 1 }, { name: 'must not be empty' }],
      [{ name: 'a\u0000b', price: 1 }, { name: 'must not contain NUL characters' }],
      [
        { name: 'a', price: 1, description: 'nul\u0000' },
        { description: 'must not contain NUL characters' },
      ],
      [{ name: 'a', price: 0 }, { price: 'must be greater than 0' }],
      [{ name: 'a', price: -5 }, { price: 'must be greater than 0' }],
      [{ name: 'a', price: true }, { price: 'must be a number' }],
      ['{"name": "a", "price": 1e400}', { price: 'must be a number' }],
      [{ name: 'a', price: 1, metadata: null }, { metadata: 'must be a JSON object' }],
      [{ name: 'x'.repeat(101), price: 1 }, { name: 'must be at most 100 characters' }],
    ];
    for (const [body, details] of cases) {
      const res = await post(typeof body === 'string' ? body : JSON.stringify(body));
      assert.equal(res.statusCode, 422, JSON.stringify(body));
      assert.deepEqual(res.json().details, details, JSON.stringify(body));
    }
    // PostgreSQL refuses NUL inside JSON too: still a 422, not a 500.
    const nulInMetadata = await post('{"name": "a", "price": 1, "metadata": {"k": "\\u0000"}}');
    assert.equal(nulInMetadata.statusCode, 422);
    assertErrorBody(nulInMetadata.json(), ITEMS);
    const hugeSkip = await app.inject({ url: `${ITEMS}?skip=1${'0'.repeat(30)}` });
    assert.equal(hugeSkip.statusCode, 422);
  });

  test('a 500 tells the client nothing and logs the stack', async () => {
    const res = await app.inject({ url: '/boom', headers: { 'x-request-id': 'req-500' } });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { error: 'Internal server error', details: {}, path: '/boom' });
    assert.doesNotMatch(res.body, /secret|hunter2|Error:|at /);
    const line = logs.find((l) => l.requestId === 'req-500' && l.severity === 'ERROR' && l.err);
    assert.ok(line, 'the error was logged');
    assert.match(String(line.stack_trace), /secret internal detail[\s\S]*at /);
    assert.equal(
      line['@type'],
      'type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent',
    );
  });
});
