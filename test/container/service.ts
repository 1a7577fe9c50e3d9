// The image run as Cloud Run runs it: a migration job (`dist/migrate.js`),
// then the service on $PORT. Host network, so that the container reaches the
// host's PostgreSQL and the host reaches the container's port.
import { freePort } from '../helpers/process.ts';
import type { Engine } from './engine.ts';

const envArgs = (env: Record<string, string>) =>
  Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);

export function migrateArgs(image: string, env: Record<string, string>): string[] {
  return ['run', '--rm', '--network', 'host', ...envArgs(env), image, 'dist/migrate.js'];
}

/** The container's log, last lines first to go: for failure messages. */
export async function containerLogs(engine: Engine, name: string): Promise<string> {
  return (await engine.attempt(['logs', name])).output.slice(-4000);
}

/**
 * Starts the service as container `name` on a free port and waits for /ready;
 * resolves with the port and the milliseconds from `run` to the first 200.
 */
export async function startService(
  engine: Engine,
  image: string,
  name: string,
  databaseUrl: string,
  runArgs: string[] = [],
): Promise<{ port: number; readyMs: number }> {
  const port = await freePort();
  // Authentication is the app's behaviour, tested in test/auth; here the image runs without it.
  const env = {
    PORT: String(port),
    ENVIRONMENT: 'production',
    DATABASE_URL: databaseUrl,
    AUTH_DISABLED: 'true',
  };
  const t0 = performance.now();
  await engine.run([
    'run',
    '-d',
    '--name',
    name,
    '--network',
    'host',
    ...runArgs,
    ...envArgs(env),
    image,
  ]);
  let last = 'no answer';
  while (performance.now() - t0 < 30_000) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/ready`);
      if (res.status === 200) return { port, readyMs: Math.round(performance.now() - t0) };
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(
    `${name} did not answer 200 on /ready within 30 s (last: ${last}); its log:\n${await containerLogs(engine, name)}`,
  );
}
