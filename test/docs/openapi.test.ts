// The OpenAPI document describes every route, its schemas and its errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { testApp } from '../helpers/app.ts';
import { pglite } from '../helpers/database.ts';
import { ITEM_FIELDS } from '../helpers/items.ts';

interface Operation {
  summary?: string;
  responses: Record<
    string,
    { description?: string; content?: Record<string, { schema: unknown }> }
  >;
  requestBody?: unknown;
  parameters?: { name: string; in: string }[];
}

describe('OpenAPI document', () => {
  let app: FastifyInstance;
  let doc: {
    openapi: string;
    info: { title: string; version: string };
    paths: Record<string, Record<string, Operation>>;
    components: {
      schemas: Record<string, { properties: Record<string, unknown>; required?: string[] }>;
    };
  };
  before(async () => {
    ({ app } = await testApp(await pglite.open(), { APP_NAME: 'Spec', APP_VERSION: '9.9.9' }));
    const res = await app.inject({ url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    doc = res.json();
  });
  after(() => app.close());

  test('is OpenAPI 3.1 with the app name and version', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(doc.info.title, 'Spec');
    assert.deepEqual(doc.info.version, '9.9.9');
  });

  test('describes every route of the API and no documentation route', () => {
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    assert.deepEqual(ops.sort(), [
      'DELETE /api/v1/items/{id}',
      'GET /',
      'GET /api/v1/items',
      'GET /api/v1/items/stats/count',
      'GET /api/v1/items/{id}',
      'GET /health',
      'GET /live',
      'GET /ready',
      'PATCH /api/v1/items/{id}',
      'POST /api/v1/items',
    ]);
  });

  test('the item and the error body are named schemas', () => {
    const { Item, ErrorBody } = doc.components.schemas;
    assert.deepEqual(Object.keys(Item?.properties ?? {}).sort(), ITEM_FIELDS);
    assert.deepEqual(ErrorBody?.required?.sort(), ['details', 'error', 'path']);
  });

  test('each items operation documents its errors with the error body', () => {
    const expected: Record<string, string[]> = {
      'post /api/v1/items': ['201', '422', '503'],
      'get /api/v1/items': ['200', '422', '503'],
      'get /api/v1/items/stats/count': ['200', '422', '503'],
      'get /api/v1/items/{id}': ['200', '404', '503'],
      'patch /api/v1/items/{id}': ['200', '404', '422', '503'],
      'delete /api/v1/items/{id}': ['204', '404', '503'],
    };
    for (const [key, codes] of Object.entries(expected)) {
      const [method, path] = key.split(' ') as [string, string];
      const op = doc.paths[path]?.[method];
      assert.ok(op, key);
      assert.deepEqual(Object.keys(op.responses).sort(), codes, key);
      for (const code of codes.filter((c) => c >= '400')) {
        const schema = JSON.stringify(op.responses[code]?.content?.['application/json']?.schema);
        assert.match(schema, /ErrorBody/, `${key} ${code}`);
      }
    }
  });

  test('the request rules are in the schemas: lengths, bounds, defaults', () => {
    const post = doc.paths['/api/v1/items']?.post as Operation;
    const body = JSON.stringify(post.requestBody);
    assert.match(body, /"maxLength":100/);
    assert.match(body, /"minLength":1/);
    assert.match(body, /"maxLength":500/);
    assert.match(body, /"exclusiveMinimum":0/);
    const list = doc.paths['/api/v1/items']?.get as Operation;
    assert.deepEqual(list.parameters?.map((p) => `${p.in}:${p.name}`).sort(), [
      'query:available_only',
      'query:limit',
      'query:skip',
    ]);
  });
});
