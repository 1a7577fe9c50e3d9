// A body over the limit from a client that is still writing it, to the real
// server in its own process: the client reads its 413 instead of losing the
// connection.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { assertErrorBody, ITEMS } from '../helpers/items.ts';
import { type Server, startServer } from '../helpers/process.ts';

/** POSTs `body` in 16 KB writes, as a client on a network does; resolves with the response or the error. */
function post(port: number, body: Buffer, headers: Record<string, string | number>) {
  return new Promise<{ status?: number; text?: string; error?: string }>((resolve) => {
    const req = request(
      { port, host: '127.0.0.1', method: 'POST', path: ITEMS, agent: false, headers },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      },
    );
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code }));
    let sent = 0;
    const write = () => {
      while (sent < body.length) {
        const piece = body.subarray(sent, sent + 16_384);
        sent += piece.length;
        if (!req.write(piece)) return req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

describe('a body over the limit', () => {
  let server: Server;
  before(async () => {
    // The body is refused before any handler runs: no database is needed.
    server = await startServer(
      { DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none' },
      { waitPath: '/live' },
    );
  });
  after(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });

  const body = Buffer.from(
    JSON.stringify({ name: 'big', price: 1, description: 'x'.repeat(2 * 1024 * 1024) }),
  );
  const json = { 'content-type': 'application/json' };

  for (const [framing, headers] of [
    ['Content-Length', { ...json, 'content-length': body.length }],
    ['chunked', { ...json, 'transfer-encoding': 'chunked' }],
  ] as const) {
    test(`2 MB with ${framing}, 20 times in a row: a 413 in the error shape each time`, async () => {
      for (let i = 1; i <= 20; i++) {
        const res = await post(server.port, body, headers);
        assert.equal(res.status, 413, `attempt ${i}: ${res.error ?? res.text}`);
        assertErrorBody(JSON.parse(res.text as string), ITEMS);
      }
    });
  }

  test('a body declared far larger than Cloud Run lets through is answered without waiting for it', async () => {
    const socket = connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    let received = '';
    socket.on('data', (d) => (received += d));
    socket.write(
      `POST ${ITEMS} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${64 * 1_048_576}\r\n\r\n`,
    );
    socket.write(body.subarray(0, 65_536));
    await Promise.race([once(socket, 'close'), new Promise((r) => setTimeout(r, 5000))]);
    socket.destroy();
    assert.match(received, /^HTTP\/1\.1 413 /);
  });
});
