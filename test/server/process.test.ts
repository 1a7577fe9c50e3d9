// The server as a process: refusing bad configuration, and shutting down the
// way Cloud Run needs (SIGTERM, then SIGKILL 10 s later).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { heldPost, startServer, statuses } from '../helpers/process.ts';

const ITEMS = '/api/v1/items';
// A database nobody answers at: the server starts (the pool connects lazily),
// which is all the tests that never reach the database need.
const NOWHERE = 'postgres://nobody@127.0.0.1:9/none';

function run(env: Record<string, string>) {
  return spawnSync(process.execPath, ['src/server.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });
}

describe('start-up', () => {
  test('production without DATABASE_URL refuses to start and says what to set', () => {
    const r = run({ ENVIRONMENT: 'production' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^DATABASE_URL is required when ENVIRONMENT=production: /);
    assert.match(r.stderr, /\(example: DATABASE_URL=postgres:\/\//);
  });

  test('a bad setting stops the start with one line naming it', () => {
    const r = run({ PORT: 'eighty', DATABASE_URL: NOWHERE });
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr.trim(),
      'Invalid PORT="eighty": must be a whole number (example: PORT=8080)',
    );
  });
});

describe('shutdown', () => {
  test('SIGTERM with requests in flight: all finish, the drain shows on /ready, exit 0', async () => {
    // Real writes in flight need a real database: the suite's PostgreSQL when
    // there is one, otherwise the embedded one.
    const db: Record<string, string> = process.env.TEST_DATABASE_URL
      ? { DATABASE_URL: process.env.TEST_DATABASE_URL, MIGRATE_ON_START: 'true' }
      : { PGLITE_DIR: 'memory://' };
    const server = await startServer(db);
    const held = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        heldPost(server.port, ITEMS, JSON.stringify({ name: `in flight ${i}`, price: 1 })),
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(server.child.exitCode, null, 'still running while requests are in flight');

    // The first socket also asks /ready, pipelined behind its POST: by then the drain has begun.
    held[0]?.finish('GET /ready HTTP/1.1\r\nHost: x\r\n\r\n');
    for (const h of held.slice(1)) h.finish();
    const raw = await Promise.all(held.map((h) => h.responses()));
    for (const r of raw) assert.equal(statuses(r)[0], 201, r);
    assert.deepEqual(statuses(raw[0] ?? ''), [201, 503], raw[0]);
    assert.match(raw[0] ?? '', /"reason":"draining"/);

    const exit = await server.exited;
    assert.equal(exit.code, 0, server.output());
    assert.ok(exit.ms < 8000, `exited ${exit.ms} ms after SIGTERM`);
    assert.match(server.output(), /shutdown complete/);
  });

  test('a second signal exits 1 at once', async () => {
    const server = await startServer({ DATABASE_URL: NOWHERE }, { waitPath: '/live' });
    const held = await heldPost(server.port, ITEMS, '{"name": "never finished", "price": 1}');
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    server.child.kill('SIGTERM');
    const exit = await server.exited;
    held.destroy();
    assert.equal(exit.code, 1);
    assert.ok(exit.ms < 2000, `exited ${exit.ms} ms after the first signal`);
    assert.match(server.output(), /second SIGTERM/);
  });

  test('a shutdown that overruns its deadline exits 1', async () => {
    const server = await startServer(
      { DATABASE_URL: NOWHERE, SHUTDOWN_TIMEOUT_MS: '600' },
      { waitPath: '/live' },
    );
    const held = await heldPost(server.port, ITEMS, '{"name": "never finished", "price": 1}');
    server.child.kill('SIGINT');
    const exit = await server.exited;
    held.destroy();
    assert.equal(exit.code, 1);
    assert.ok(exit.ms >= 550 && exit.ms < 3000, `exited ${exit.ms} ms after SIGINT`);
    assert.match(server.output(), /did not finish within 600 ms/);
  });
});
