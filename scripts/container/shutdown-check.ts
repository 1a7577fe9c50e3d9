// SIGTERM with requests in flight: a few POSTs whose bodies are only half sent
// when the signal arrives (so they are certainly in flight) plus a stream of
// ordinary requests. Cloud Run sends SIGTERM and kills after 10 s; the server
// must finish what it accepted and exit 0 before that.
import net from 'node:net';
import { request } from './http.ts';

export interface SlowRequest {
  done: Promise<{ status: number; raw: string }>;
  finish(): void;
}

/** Sends the headers and half the body of a POST now; finish() sends the rest. */
export function startSlowPost(port: number, path: string, body: unknown): Promise<SlowRequest> {
  const payload = Buffer.from(JSON.stringify(body));
  const half = Math.floor(payload.length / 2);
  return new Promise((resolveStarted, rejectStarted) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    let raw = '';
    const done = new Promise<{ status: number; raw: string }>((resolve, reject) => {
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => {
        raw += d;
      });
      sock.on('end', () => {
        const m = /^HTTP\/1\.1 (\d{3})/.exec(raw);
        resolve({ status: m ? Number(m[1]) : 0, raw });
      });
      sock.on('error', reject);
    });
    sock.once('connect', () => {
      sock.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${payload.length}\r\nConnection: close\r\n\r\n`,
      );
      sock.write(payload.subarray(0, half));
      resolveStarted({ done, finish: () => sock.write(payload.subarray(half)) });
    });
    sock.once('error', rejectStarted);
  });
}

export interface LoadStats {
  ok: number;
  answeredAfterStop: number;
  /** Responses with a 5xx other than 503 (503 is the documented answer while closing). */
  serverErrors: string[];
  refused: number;
  /** Connections reset before an answer: only possible for connections still in the accept queue at close. */
  resets: number;
}

/** Requests back to back from `workers` clients until stop() resolves and the port refuses. */
export function startLoad(
  port: number,
  path: string,
  workers: number,
  stopSentAt: () => number | undefined,
) {
  const stats: LoadStats = { ok: 0, answeredAfterStop: 0, serverErrors: [], refused: 0, resets: 0 };
  let stopping = false;
  const loops = Array.from({ length: workers }, async () => {
    while (!stopping) {
      try {
        const r = await request(`http://127.0.0.1:${port}${path}`, { timeoutMs: 12_000 });
        const sent = stopSentAt();
        if (sent !== undefined && performance.now() > sent) stats.answeredAfterStop++;
        if (r.status >= 500 && r.status !== 503)
          stats.serverErrors.push(`${r.status} ${r.body.slice(0, 200)}`);
        else stats.ok++;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ECONNREFUSED') {
          stats.refused++;
          if (stopSentAt() !== undefined) return; // the server is gone: this worker is done
          await new Promise((r) => setTimeout(r, 20));
        } else {
          stats.resets++;
          if (stopSentAt() === undefined) throw err;
        }
      }
    }
  });
  return {
    stats,
    async end(): Promise<LoadStats> {
      stopping = true;
      await Promise.all(loops);
      return stats;
    },
  };
}
