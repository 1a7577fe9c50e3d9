// Load shedding: while the event loop is blocked, API requests get a 503
// with Retry-After in the error shape, and /live keeps answering.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testApp } from '../helpers/app.ts';
import { pglite } from '../helpers/database.ts';
import { assertErrorBody, ITEMS } from '../helpers/items.ts';

/** Keeps the event loop busy for `ms`, letting it turn (and timers fire) every `slice` ms. */
async function block(ms: number, slice = 150) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const until = Math.min(end, Date.now() + slice);
    while (Date.now() < until);
    await new Promise((r) => setImmediate(r));
  }
}

test('a blocked event loop: 503 with Retry-After on the API, /live answers, and it recovers', async () => {
  const { app } = await testApp(await pglite.open(), { SHED_EVENT_LOOP_DELAY_MS: '50' });
  try {
    assert.equal((await app.inject({ url: ITEMS })).statusCode, 200);
    await block(2500);
    const shed = await app.inject({ url: ITEMS });
    assert.equal(shed.statusCode, 503);
    assert.equal(shed.headers['retry-after'], '1');
    assertErrorBody(shed.json(), ITEMS);
    assert.equal((await app.inject({ url: '/live' })).statusCode, 200);

    const deadline = Date.now() + 5000;
    let status = 503;
    while (status === 503 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await app.inject({ url: ITEMS })).statusCode;
    }
    assert.equal(status, 200, 'served again once the loop is free');
  } finally {
    await app.close();
  }
});
