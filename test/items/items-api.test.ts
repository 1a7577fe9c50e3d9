// The items resource, operation by operation, on every test database.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { testApp } from '../helpers/app.ts';
import { backends, truncate } from '../helpers/database.ts';
import { assertErrorBody, createItem, ITEM_FIELDS, ITEMS } from '../helpers/items.ts';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UUID = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/;

for (const backend of backends()) {
  describe(`items API on ${backend.name}`, () => {
    let app: FastifyInstance;
    before(async () => {
      const database = await backend.open();
      ({ app } = await testApp(database));
    });
    after(() => app.close());
    beforeEach(async () => truncate(await backend.open()));

    test('create returns 201 with the item, defaults filled in', async () => {
      const res = await app.inject({
        method: 'POST',
        url: ITEMS,
        payload: { name: 'Example Item', description: 'This is an example item', price: 29.99 },
      });
      assert.equal(res.statusCode, 201);
      const item = res.json();
      assert.deepEqual(Object.keys(item).sort(), ITEM_FIELDS);
      assert.match(item.id, UUID);
      assert.equal(item.name, 'Example Item');
      assert.equal(item.description, 'This is an example item');
      assert.equal(item.price, 29.99);
      assert.equal(item.is_available, true);
      assert.deepEqual(item.metadata, {});
      assert.match(item.created_at, ISO);
      assert.match(item.updated_at, ISO);
    });

    test('create keeps metadata, is_available and ignores unknown fields', async () => {
      const item = await createItem(app, {
        name: 'A',
        price: 1,
        is_available: false,
        metadata: { category: 'electronics', tags: ['new'], nested: { n: 1 } },
        id: '00000000-0000-4000-8000-000000000000',
        created_at: '2000-01-01T00:00:00.000Z',
        unknown: 'ignored',
      });
      assert.equal(item.is_available, false);
      assert.deepEqual(item.metadata, { category: 'electronics', tags: ['new'], nested: { n: 1 } });
      assert.notEqual(item.id, '00000000-0000-4000-8000-000000000000');
      assert.notEqual(item.created_at, '2000-01-01T00:00:00.000Z');
      assert.equal('unknown' in item, false);
    });

    test('names and descriptions are trimmed; a blank description becomes null', async () => {
      const a = await createItem(app, { name: '  padded  ', description: '  text \n', price: 2 });
      assert.equal(a.name, 'padded');
      assert.equal(a.description, 'text');
      const b = await createItem(app, { name: 'b', description: ' \t\n ', price: 2 });
      assert.equal(b.description, null);
      const c = await createItem(app, { name: 'c', description: null, price: 2 });
      assert.equal(c.description, null);
    });

    test('lengths count code points, after trimming', async () => {
      const emoji = '😀'; // two UTF-16 units, one character
      const a = await createItem(app, { name: emoji.repeat(100), price: 1 });
      assert.equal([...a.name].length, 100);
      const b = await createItem(app, { name: `  ${'x'.repeat(100)}  `, price: 1 });
      assert.equal(b.name.length, 100);
      const c = await createItem(app, { name: 'd', description: emoji.repeat(500), price: 1 });
      assert.equal([...c.description].length, 500);
      const tooLong = await app.inject({
        method: 'POST',
        url: ITEMS,
        payload: { name: emoji.repeat(101), price: 1 },
      });
      assert.equal(tooLong.statusCode, 422);
      assert.deepEqual(tooLong.json().details, { name: 'must be at most 100 characters' });
      const descTooLong = await app.inject({
        method: 'POST',
        url: ITEMS,
        payload: { name: 'e', description: emoji.repeat(501), price: 1 },
      });
      assert.equal(descTooLong.statusCode, 422);
      assert.deepEqual(descTooLong.json().details, {
        description: 'must be at most 500 characters',
      });
    });

    test('get returns the item; unknown and non-UUID ids are 404 with the error body', async () => {
      const item = await createItem(app, { name: 'G', price: 3 });
      const res = await app.inject({ url: `${ITEMS}/${item.id}` });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), item);

      for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', '123']) {
        const missing = await app.inject({ url: `${ITEMS}/${id}` });
        assert.equal(missing.statusCode, 404);
        assertErrorBody(missing.json(), `${ITEMS}/${id}`);
        assert.equal(missing.json().error, `Item with id '${id}' not found`);
        assert.deepEqual(missing.json().details, { item_id: id });
      }
    });

    test('list is newest first, with skip, limit and available_only', async () => {
      const made = [];
      for (let i = 0; i < 5; i++)
        made.push(
          await createItem(app, { name: `n${i}`, price: i + 1, is_available: i % 2 === 0 }),
        );
      const all = (await app.inject({ url: ITEMS })).json();
      assert.deepEqual(
        all.map((i: { name: string }) => i.name),
        ['n4', 'n3', 'n2', 'n1', 'n0'],
      );
      const page = (await app.inject({ url: `${ITEMS}?skip=1&limit=2` })).json();
      assert.deepEqual(
        page.map((i: { name: string }) => i.name),
        ['n3', 'n2'],
      );
      const available = (await app.inject({ url: `${ITEMS}?available_only=true` })).json();
      assert.deepEqual(
        available.map((i: { name: string }) => i.name),
        ['n4', 'n2', 'n0'],
      );
      assert.deepEqual((await app.inject({ url: `${ITEMS}?skip=10` })).json(), []);
    });

    test('items created in the same instant list the later insert first', async () => {
      // One statement gives every row the same now(): a tie that only the insert order can break.
      const database = await backend.open();
      const { sql } = await import('drizzle-orm');
      await database.db.execute(sql`
        INSERT INTO items (id, name, price)
        SELECT gen_random_uuid(), 'tie' || g, 1 FROM generate_series(1, 5) AS g`);
      const names = (await app.inject({ url: ITEMS })).json().map((i: { name: string }) => i.name);
      assert.deepEqual(names, ['tie5', 'tie4', 'tie3', 'tie2', 'tie1']);
      const created = new Set(
        (await app.inject({ url: ITEMS })).json().map((i: { created_at: string }) => i.created_at),
      );
      assert.equal(created.size, 1, 'all five share one created_at');
    });

    test('list accepts the usual boolean spellings and the default limit is 100', async () => {
      await createItem(app, { name: 'yes', price: 1 });
      await createItem(app, { name: 'no', price: 1, is_available: false });
      for (const [v, n] of [
        ['1', 1],
        ['yes', 1],
        ['ON', 1],
        ['t', 1],
        ['0', 2],
        ['no', 2],
        ['off', 2],
        ['false', 2],
      ] as const) {
        const res = await app.inject({ url: `${ITEMS}?available_only=${v}` });
        assert.equal(res.statusCode, 200, `available_only=${v}`);
        assert.equal(res.json().length, n, `available_only=${v}`);
      }
      const database = await backend.open();
      const { sql } = await import('drizzle-orm');
      await database.db.execute(
        sql`INSERT INTO items (id, name, price) SELECT gen_random_uuid(), 'bulk', 1 FROM generate_series(1, 120)`,
      );
      assert.equal((await app.inject({ url: ITEMS })).json().length, 100);
    });

    test('list rejects bad query values with 422 naming each parameter', async () => {
      const cases: [string, Record<string, string>][] = [
        ['skip=-1', { skip: 'must be greater than or equal to 0' }],
        ['limit=0', { limit: 'must be greater than or equal to 1' }],
        ['limit=101', { limit: 'must be less than or equal to 100' }],
        ['limit=abc', { limit: 'must be an integer' }],
        ['skip=1.5', { skip: 'must be an integer' }],
        ['skip=99999999999999999999999', { skip: 'must be less than or equal to 2147483647' }],
        ['available_only=maybe', { available_only: 'must be a boolean' }],
        [
          'skip=-1&limit=500',
          {
            skip: 'must be greater than or equal to 0',
            limit: 'must be less than or equal to 100',
          },
        ],
      ];
      for (const [query, details] of cases) {
        const res = await app.inject({ url: `${ITEMS}?${query}` });
        assert.equal(res.statusCode, 422, query);
        assertErrorBody(res.json(), ITEMS);
        assert.deepEqual(res.json().details, details, query);
      }
    });

    test('patch changes only the fields sent and moves updated_at forward', async () => {
      const item = await createItem(app, {
        name: 'P',
        description: 'd',
        price: 5,
        metadata: { a: 1 },
      });
      const res = await app.inject({
        method: 'PATCH',
        url: `${ITEMS}/${item.id}`,
        payload: { price: 7.5 },
      });
      assert.equal(res.statusCode, 200);
      const updated = res.json();
      assert.equal(updated.price, 7.5);
      assert.equal(updated.name, 'P');
      assert.equal(updated.description, 'd');
      assert.deepEqual(updated.metadata, { a: 1 });
      assert.equal(updated.created_at, item.created_at);
      assert.ok(updated.updated_at > item.updated_at, 'updated_at moved forward');

      // Two updates in quick succession still move it forward each time.
      const again = (
        await app.inject({ method: 'PATCH', url: `${ITEMS}/${item.id}`, payload: { name: ' Q ' } })
      ).json();
      assert.equal(again.name, 'Q');
      assert.ok(again.updated_at > updated.updated_at);

      const cleared = (
        await app.inject({
          method: 'PATCH',
          url: `${ITEMS}/${item.id}`,
          payload: { description: '   ' },
        })
      ).json();
      assert.equal(cleared.description, null);
      const nulled = (
        await app.inject({
          method: 'PATCH',
          url: `${ITEMS}/${item.id}`,
          payload: { description: null },
        })
      ).json();
      assert.equal(nulled.description, null);

      const stored = (await app.inject({ url: `${ITEMS}/${item.id}` })).json();
      assert.equal(stored.name, 'Q');
      assert.equal(stored.price, 7.5);
    });

    test('patch with no known field returns the item unchanged', async () => {
      const item = await createItem(app, { name: 'P', price: 5 });
      const res = await app.inject({
        method: 'PATCH',
        url: `${ITEMS}/${item.id}`,
        payload: { nothing: true },
      });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), item);
    });

    test('patch: 404 for unknown ids, 422 for bad values', async () => {
      const missing = await app.inject({
        method: 'PATCH',
        url: `${ITEMS}/00000000-0000-4000-8000-000000000000`,
        payload: { price: 1 },
      });
      assert.equal(missing.statusCode, 404);
      assertErrorBody(missing.json(), `${ITEMS}/00000000-0000-4000-8000-000000000000`);
      const notUuid = await app.inject({
        method: 'PATCH',
        url: `${ITEMS}/xyz`,
        payload: { price: 1 },
      });
      assert.equal(notUuid.statusCode, 404);

      const item = await createItem(app, { name: 'P', price: 5 });
      for (const [payload, details] of [
        [{ price: 0 }, { price: 'must be greater than 0' }],
        [{ name: null }, { name: 'must be a string' }],
        [{ name: '  ' }, { name: 'must not be empty' }],
        [{ is_available: 'yes' }, { is_available: 'must be a boolean' }],
        [{ metadata: [1] }, { metadata: 'must be a JSON object' }],
      ] as const) {
        const res = await app.inject({ method: 'PATCH', url: `${ITEMS}/${item.id}`, payload });
        assert.equal(res.statusCode, 422, JSON.stringify(payload));
        assert.deepEqual(res.json().details, details, JSON.stringify(payload));
      }
      assert.deepEqual(
        (await app.inject({ url: `${ITEMS}/${item.id}` })).json(),
        item,
        'nothing changed',
      );
    });

    test('delete answers 204 with no body, then the item is gone', async () => {
      const item = await createItem(app, { name: 'D', price: 1 });
      const res = await app.inject({ method: 'DELETE', url: `${ITEMS}/${item.id}` });
      assert.equal(res.statusCode, 204);
      assert.equal(res.body, '');
      assert.equal((await app.inject({ url: `${ITEMS}/${item.id}` })).statusCode, 404);
      const again = await app.inject({ method: 'DELETE', url: `${ITEMS}/${item.id}` });
      assert.equal(again.statusCode, 404);
      assertErrorBody(again.json(), `${ITEMS}/${item.id}`);
      assert.equal((await app.inject({ method: 'DELETE', url: `${ITEMS}/nope` })).statusCode, 404);
    });

    test('count, with available_only', async () => {
      assert.deepEqual((await app.inject({ url: `${ITEMS}/stats/count` })).json(), { count: 0 });
      await createItem(app, { name: 'a', price: 1 });
      await createItem(app, { name: 'b', price: 1, is_available: false });
      assert.deepEqual((await app.inject({ url: `${ITEMS}/stats/count` })).json(), { count: 2 });
      assert.deepEqual(
        (await app.inject({ url: `${ITEMS}/stats/count?available_only=true` })).json(),
        { count: 1 },
      );
      const bad = await app.inject({ url: `${ITEMS}/stats/count?available_only=perhaps` });
      assert.equal(bad.statusCode, 422);
      assert.deepEqual(bad.json().details, { available_only: 'must be a boolean' });
    });
  });
}
