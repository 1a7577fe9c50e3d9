// The production image, built from the Dockerfile and run the way Cloud Run
// runs it, against a PostgreSQL database of its own. Slow (it builds the
// image), so `npm run test:container` runs it, not `npm test`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { smokeTest } from '../../ops/deploy/smoke.ts';
import { heldPost, statuses } from '../helpers/process.ts';
import { throwawayDatabase } from './database.ts';
import { type Engine, pickEngine, repoRoot } from './engine.ts';
import { buildImage, gitSha, imageMiB, version, type Walk, walkImage } from './image.ts';
import { containerLogs, migrateArgs, startService } from './service.ts';

const IMAGE = 'runway:container-test';
const NAME = `runway-container-test-${process.pid}`;
const ITEMS = '/api/v1/items';

interface ImageConfig {
  User?: string;
  Labels?: Record<string, string>;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  ExposedPorts?: Record<string, unknown>;
}

let engine: Engine;
let buildSeconds: number;
let config: ImageConfig;
let walk: Walk;
let database: Awaited<ReturnType<typeof throwawayDatabase>>;
let port: number;
let readyMs: number;

const inspect = async (format: string) =>
  JSON.parse(await engine.run(['image', 'inspect', '--format', `{{json ${format}}}`, IMAGE]));

before(async () => {
  engine = await pickEngine();
  buildSeconds = await buildImage(engine, IMAGE);
  config = await inspect('.Config');
  walk = await walkImage(engine, IMAGE);
  database = await throwawayDatabase();
  await engine.run(migrateArgs(IMAGE, { DATABASE_URL: database.url }));
  ({ port, readyMs } = await startService(engine, IMAGE, NAME, database.url));
});

after(async () => {
  await engine?.attempt(['rm', '-f', NAME]);
  await database?.drop();
  await engine?.attempt(['rmi', IMAGE]);
});

describe('the image', () => {
  test('starts node in exec form as a non-root user, exposes 8080, carries commit and version', (t) => {
    t.diagnostic(`built in ${buildSeconds} s`);
    assert.ok(config.User && !/^(0|root)(:|$)/.test(config.User), `USER ${config.User}`);
    const start = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
    assert.match(start[0] ?? '', /(^|\/)node$/, JSON.stringify(start));
    assert.equal(start.at(-1), 'dist/server.js');
    assert.ok(Object.keys(config.ExposedPorts ?? {}).includes('8080/tcp'));
    assert.equal(config.Labels?.['org.opencontainers.image.revision'], gitSha);
    assert.equal(config.Labels?.['org.opencontainers.image.version'], version);
  });

  test('holds the bundle and the migrations, and no sources, tests, .env or keys', async (t) => {
    const size = await imageMiB(engine, IMAGE);
    t.diagnostic(
      `${size.mib} MiB (${size.gzipMiB} MiB gzip), ${walk.files} files, ${walk.symlinks} symlinks`,
    );
    assert.ok(
      walk.app.includes('/app/dist/server.js') && walk.app.includes('/app/dist/migrate.js'),
    );
    assert.ok(
      walk.app.some((p) => /^\/app\/drizzle\/.+\.sql$/.test(p)),
      'no migrations in /app/drizzle',
    );
    const forbidden = walk.app.filter(
      (p) =>
        /^\/app\/(src|test|scripts|ops|deploy|bench|\.git|\.github)(\/|$)/.test(p) ||
        /(^|\/)\.env(\.|$)/.test(p) ||
        /\/(gha-creds-[^/]*|[^/]*-key|service-account[^/]*|credentials)\.json$|\.(pem|p12|key)$/.test(
          p,
        ) ||
        (p.endsWith('.ts') && !p.endsWith('.d.ts')),
    );
    assert.deepEqual(forbidden, []);
  });

  test('holds no dev dependency, installed or bundled', () => {
    const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    // A devDependency that a runtime dependency also needs is not marked dev, and may ship.
    const devOnly = (p: string) => lock.packages[p]?.dev === true;
    assert.ok(walk.bundled.includes('node_modules/fastify'), 'the source maps list no packages');
    assert.deepEqual(walk.installed.filter(devOnly), []);
    assert.deepEqual(walk.bundled.filter(devOnly), []);
  });

  test('runs in production by default: given only DATABASE_URL, as its own example shows, it refuses to start without a real method of authentication', async () => {
    const run = (...env: string[]) =>
      engine.attempt(
        ['run', '--rm', '--network', 'host', '-e', `DATABASE_URL=${database.url}`, ...env, IMAGE],
        30_000,
      );
    const plain = await run();
    assert.equal(plain.code, 1, plain.output);
    assert.match(
      plain.output,
      /No method of authentication is configured for ENVIRONMENT=production/,
    );
    // Even told it is development, the image never uses the public pepper (NODE_ENV=production).
    const development = await run('-e', 'ENVIRONMENT=development');
    assert.equal(development.code, 1, development.output);
    assert.match(
      development.output,
      /development API key pepper is refused with DATABASE_URL and NODE_ENV=production: set API_KEY_PEPPER/,
    );
  });

  test('the migration job exits non-zero when the database is unreachable', async () => {
    const env = {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none',
      DB_CONNECT_TIMEOUT_MS: '2000',
    };
    const { code, output } = await engine.attempt(migrateArgs(IMAGE, env));
    assert.notEqual(code, 0, output);
  });
});

describe('the running container', () => {
  test('answers on $PORT and is ready against PostgreSQL', async (t) => {
    t.diagnostic(`ready ${readyMs} ms after run`);
    const res = await fetch(`http://127.0.0.1:${port}/ready`);
    assert.deepEqual([res.status, await res.json()], [200, { status: 'ready' }]);
  });

  test('runs the server as a non-root user', async () => {
    const node = config.Entrypoint?.[0] ?? 'node';
    const uid = await engine.run([
      'exec',
      NAME,
      node,
      '-e',
      "process.stdout.write(/^Uid:\\s+(\\d+)/m.exec(require('fs').readFileSync('/proc/1/status', 'utf8'))[1])",
    ]);
    assert.match(uid, /^\d+$/);
    assert.notEqual(uid, '0');
  });

  test('passes its own HEALTHCHECK', async () => {
    // Read on its own: podman leaves it out of .Config (it is not part of the OCI config).
    const check: { Test?: string[] } = await inspect('.Config.Healthcheck');
    assert.equal(check?.Test?.[0], 'CMD', 'no exec-form HEALTHCHECK');
    await engine.run(['exec', NAME, ...(check.Test?.slice(1) ?? [])], 30_000);
  });

  test('passes the deploy smoke test (the items round trip)', async () => {
    await smokeTest({ baseUrl: `http://127.0.0.1:${port}` });
  });

  test('on SIGTERM finishes the requests in flight and exits 0 within 10 s', async () => {
    const held = await Promise.all(
      [1, 2, 3].map((i) =>
        heldPost(port, ITEMS, JSON.stringify({ name: `in flight ${i}`, price: i })),
      ),
    );
    // Clients that keep asking until the port closes: while it drains, the
    // server may answer 503, never another 5xx.
    let stopping = false;
    const clients = Promise.all(
      Array.from({ length: 8 }, async () => {
        const answers: number[] = [];
        for (;;) {
          try {
            const res = await fetch(`http://127.0.0.1:${port}${ITEMS}?limit=5`, {
              signal: AbortSignal.timeout(12_000),
            });
            await res.arrayBuffer();
            answers.push(res.status);
          } catch (err) {
            if (stopping) return answers;
            throw err;
          }
        }
      }),
    );
    clients.catch(() => {}); // awaited below, after the stop
    await new Promise((r) => setTimeout(r, 300));
    stopping = true;
    const t0 = performance.now();
    const stopped = engine.run(['stop', '--time', '10', NAME], 30_000);
    await new Promise((r) => setTimeout(r, 500));
    for (const h of held) h.finish();
    const responses = await Promise.all(held.map((h) => h.responses()));
    await stopped;
    const stopMs = Math.round(performance.now() - t0);
    const answers = (await clients).flat();

    assert.deepEqual(
      responses.map((r) => statuses(r)[0]),
      [201, 201, 201],
      responses.join('\n'),
    );
    assert.ok(answers.length > 0, 'no answers while the server ran');
    assert.deepEqual(
      answers.filter((s) => s !== 200 && s !== 503),
      [],
    );
    assert.equal(
      (await engine.run(['inspect', '--format', '{{.State.ExitCode}}', NAME])).trim(),
      '0',
      await containerLogs(engine, NAME),
    );
    assert.ok(stopMs < 10_000, `stopped ${stopMs} ms after SIGTERM`);
  });
});
