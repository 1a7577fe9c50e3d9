import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

export const ITEMS = '/api/v1/items';

/** An item's fields on the wire (sorted). */
export const ITEM_FIELDS = [
  'created_at',
  'description',
  'id',
  'is_available',
  'metadata',
  'name',
  'price',
  'updated_at',
];

export async function createItem(app: FastifyInstance, body: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: ITEMS, payload: body });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

/** Every error body has exactly these keys. */
export function assertErrorBody(body: unknown, path: string) {
  assert.ok(body && typeof body === 'object', 'error body is an object');
  assert.deepEqual(Object.keys(body as object).sort(), ['details', 'error', 'path']);
  const b = body as { error: unknown; details: unknown; path: unknown };
  assert.equal(typeof b.error, 'string');
  assert.equal(typeof b.details, 'object');
  assert.equal(b.path, path);
}

/** A 401 for a bad credential: the same words whichever check refused it. */
export function assertInvalidCredential(res: LightMyRequestResponse, what: string): void {
  assert.equal(res.statusCode, 401, what);
  assert.equal(res.headers['www-authenticate'], 'Bearer realm="api", error="invalid_token"', what);
  assertErrorBody(res.json(), ITEMS);
  assert.deepEqual(res.json().details, { credentials: 'invalid or expired' }, what);
}
