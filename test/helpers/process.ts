// Runs the real server as a child process, as Cloud Run does, and talks to
// it over sockets.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

export interface Server {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as { port: number };
  s.close();
  return port;
}

/** Spawns `node src/server.ts` (or `entry`) with exactly `env` (plus PATH) and waits for it to answer `waitPath`. */
export async function startServer(
  env: Record<string, string>,
  { waitPath = '/ready', entry = 'src/server.ts' } = {},
): Promise<Server> {
  const port = Number(env.PORT ?? (await freePort()));
  const child = spawn(process.execPath, [entry], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      // These tests are about the process, not its credentials (test/auth/ has those).
      AUTH_DISABLED: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  let signalledAt = 0;
  const kill = child.kill.bind(child);
  child.kill = (signal?: NodeJS.Signals | number) => {
    signalledAt ||= Date.now();
    return kill(signal);
  };
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    ms: signalledAt ? Date.now() - signalledAt : 0,
  }));
  const server = { child, port, output: () => out, exited };
  await waitFor(port, waitPath, 30_000, exited);
  return server;
}

async function waitFor(port: number, path: string, timeoutMs: number, exited: Promise<unknown>) {
  let gone = false;
  exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gone) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      if (res.status === 200) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    gone ? 'server exited before it was ready' : `server not ready after ${timeoutMs} ms`,
  );
}

/**
 * A POST whose body is only half sent: the request is in flight on the
 * server until `finish()` sends the rest. Responses on the socket are
 * collected, so requests pipelined after it can be read too.
 */
export async function heldPost(port: number, path: string, body: string) {
  const socket: Socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (d) => (received += d));
  const closed = once(socket, 'close');
  const bytes = Buffer.from(body);
  const half = Math.floor(bytes.length / 2);
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${bytes.length}\r\n\r\n`,
  );
  socket.write(bytes.subarray(0, half));
  return {
    finish(pipelined = '') {
      socket.write(Buffer.concat([bytes.subarray(half), Buffer.from(pipelined)]));
    },
    /** The raw responses, once the server closes the connection. */
    async responses(): Promise<string> {
      await closed;
      return received;
    },
    destroy: () => socket.destroy(),
  };
}

export function statuses(raw: string): number[] {
  return [...raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}
