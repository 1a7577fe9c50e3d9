// Bodies that are refused before anything is written, on every test
// database: invalid UTF-8, metadata nested too deep, prototype keys.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { METADATA_MAX_DEPTH } from '../../src/items/schemas.ts';
import { testApp } from '../helpers/app.ts';
import { backends, truncate } from '../helpers/database.ts';
import { assertErrorBody, createItem, ITEMS } from '../helpers/items.ts';

/** Metadata whose objects nest `depth` levels deep, the metadata object included. */
const objects = (depth: number): object => (depth === 1 ? {} : { k: objects(depth - 1) });
/** Metadata holding arrays, `depth` levels deep with the metadata object. */
const arrays = (depth: number): object => {
  let value: unknown[] = [];
  for (let d = 2; d < depth; d++) value = [value];
  return { k: value };
};

for (const backend of backends()) {
  describe(`refused bodies on ${backend.name}`, () => {
    let app: FastifyInstance;
    before(async () => {
      ({ app } = await testApp(await backend.open()));
    });
    after(() => app.close());
    beforeEach(async () => truncate(await backend.open()));

    const post = (payload: string | Buffer) =>
      app.inject({
        method: 'POST',
        url: ITEMS,
        payload,
        headers: { 'content-type': 'application/json' },
      });
    const count = async () => (await app.inject({ url: `${ITEMS}/stats/count` })).json().count;

    test('invalid UTF-8 anywhere in the body is a 422, and nothing is stored', async () => {
      // a stray continuation byte, a truncated sequence, an overlong form, a surrogate, 0xFF
      for (const bytes of [[0x80], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff]]) {
        for (const [head, tail] of [
          ['{"name": "a', '", "price": 1}'],
          ['{"name": "a", "price": 1, "metadata": {"k": "', '"}}'],
        ] as const) {
          const body = Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(tail)]);
          const res = await post(body);
          assert.equal(res.statusCode, 422, `${bytes} in ${head}`);
          assertErrorBody(res.json(), ITEMS);
          assert.deepEqual(res.json().details, { body: 'must be valid UTF-8' });
        }
      }
      assert.equal(await count(), 0);
      const res = await post(Buffer.from('{"name": "é 😀 €", "price": 1}'));
      assert.equal(res.statusCode, 201, 'valid multi-byte UTF-8 is stored as sent');
      assert.equal(res.json().name, 'é 😀 €');
    });

    test(`metadata nests up to ${METADATA_MAX_DEPTH} levels; one more is a 422 naming the field and the limit`, async () => {
      const refused = { metadata: `must not nest deeper than ${METADATA_MAX_DEPTH} levels` };
      for (const nest of [objects, arrays]) {
        const metadata = nest(METADATA_MAX_DEPTH);
        const item = await createItem(app, { name: nest.name, price: 1, metadata });
        assert.deepEqual(item.metadata, metadata);
        assert.deepEqual(
          (await app.inject({ url: `${ITEMS}/${item.id}` })).json().metadata,
          metadata,
        );

        const deeper = nest(METADATA_MAX_DEPTH + 1);
        const res = await post(JSON.stringify({ name: nest.name, price: 1, metadata: deeper }));
        assert.equal(res.statusCode, 422, nest.name);
        assertErrorBody(res.json(), ITEMS);
        assert.deepEqual(res.json().details, refused);
        const patch = await app.inject({
          method: 'PATCH',
          url: `${ITEMS}/${item.id}`,
          payload: { metadata: deeper },
        });
        assert.equal(patch.statusCode, 422);
        assert.deepEqual(patch.json().details, refused);
      }
      // 5,000 levels, objects and arrays by turns: a 100 KB body.
      const level = '{"nested_level": [';
      const deep = `${level.repeat(5000)}${']}'.repeat(5000)}`;
      const body = `{"name": "deep", "price": 1, "metadata": ${deep}}`;
      assert.ok(body.length > 100_000);
      const res = await post(body);
      assert.equal(res.statusCode, 422);
      assert.deepEqual(res.json().details, refused);
      assert.equal(await count(), 2, 'only the two at the limit were stored');
    });

    test('"__proto__" keys and "constructor" keys holding "prototype" are refused, saying so', async () => {
      for (const body of [
        '{"name": "a", "price": 1, "__proto__": {"is_available": false}}',
        '{"name": "a", "price": 1, "metadata": {"x": [{"__proto__": {}}]}}',
        '{"name": "a", "price": 1, "metadata": {"constructor": {"prototype": {"x": 1}}}}',
      ]) {
        const res = await post(body);
        assert.equal(res.statusCode, 422, body);
        assertErrorBody(res.json(), ITEMS);
        assert.match(
          res.json().details.body,
          /^must not have "__proto__" keys, or "constructor" keys holding "prototype": they could change the prototypes/,
        );
      }
      assert.equal(await count(), 0);
      const plain = await createItem(app, { name: 'a', price: 1, metadata: { constructor: 'x' } });
      assert.deepEqual(plain.metadata, { constructor: 'x' });
    });
  });
}
