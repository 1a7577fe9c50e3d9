// The runtime metrics line: what was counted since the last line, the pool's
// peaks and the event loop's delay.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { METRICS_MESSAGE, startRuntimeMetrics } from '../../src/metrics/runtime.ts';
import { backends } from '../helpers/database.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: pino({ messageKey: 'message' }, sink), lines };
}

const runtime = (line: Record<string, unknown> | undefined) =>
  line?.runtime as Record<string, number>;

test('each line counts the events since the previous one, with the pool peaks and the event loop delay', async () => {
  const { log, lines } = capture();
  const { count, stop } = startRuntimeMetrics(log, () => ({ inUse: 7, waiting: 2 }), 50);
  count('requestsShed');
  count('requestsShed');
  count('rateLimited');
  await new Promise((r) => setTimeout(r, 80));
  count('rateLimited');
  stop();
  assert.equal(lines.length, 2);
  assert.equal(lines[0]?.message, METRICS_MESSAGE);
  const [first, last] = lines.map(runtime);
  assert.deepEqual(
    { ...first, eventLoopDelayP99Ms: 0, eventLoopDelayMaxMs: 0 },
    {
      dbPoolInUse: 7,
      dbPoolWaiting: 2,
      dbErrors: 0,
      requestsShed: 2,
      rateLimited: 1,
      eventLoopDelayP99Ms: 0,
      eventLoopDelayMaxMs: 0,
    },
  );
  assert.ok((first?.eventLoopDelayMaxMs ?? 0) > 0);
  assert.equal(last?.requestsShed, 0);
  assert.equal(last?.rateLimited, 1);
});

for (const backend of backends()) {
  test(`${backend.name}: a failed query is counted unless the client's values caused it`, async () => {
    const database = await backend.open();
    const { log, lines } = capture();
    const { count, stop } = startRuntimeMetrics(log, () => undefined, 60_000);
    database.observeQueries({ failed: () => count('dbErrors') });
    await assert.rejects(database.db.execute(sql`SELECT * FROM no_such_table`));
    await assert.rejects(database.db.execute(sql`SELECT 1 / 0`));
    stop();
    // The division by zero is class 22, the request's values: a 422, not the database's fault.
    assert.equal(runtime(lines[0]).dbErrors, 1);
  });
}
