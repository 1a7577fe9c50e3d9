// npm run test:container: builds the production image from the real Dockerfile
// and checks it by running it against the machine's PostgreSQL.
//
//   node scripts/container-test.ts [--dockerfile Dockerfile] [--target runtime]
//       [--database-url postgres://postgres@127.0.0.1:5432/test] [--port 9090]
//       [--tag runway:container-test] [--context DIR] [--keep-image] [--skip-build] [--report FILE]
//
// Engine: docker when its daemon answers, else ../shared/tools/container.sh
// (podman), whose stand-in base images are built first when missing.
// CONTAINER_CLI forces a CLI. Exit codes: 0 all checks passed, 1 a check
// failed, 2 the test could not run (no engine, no database, bad flags).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { smokeTest } from '../deploy/scripts/smoke-test.ts';
import { createThrowawayDb, redact, type ThrowawayDb } from './container/database.ts';
import { type Engine, ensureBaseImages, pickEngine } from './container/engine.ts';
import { run, runOk } from './container/exec.ts';
import { choosePort, request, waitFor200 } from './container/http.ts';
import { migrateArgs, walkImage } from './container/image-commands.ts';
import { imageSize } from './container/image-size.ts';
import { startLoad, startSlowPost } from './container/shutdown-check.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const failures: string[] = [];
const report: Record<string, unknown> = {};

function check(ok: boolean, what: string, detail = ''): boolean {
  console.log(`${ok ? 'ok  ' : 'FAIL'}  ${what}${detail ? ` — ${detail}` : ''}`);
  if (!ok) failures.push(`${what}${detail ? `: ${detail}` : ''}`);
  return ok;
}

function usage(): never {
  console.error(
    'usage: node scripts/container-test.ts [--dockerfile FILE] [--target STAGE] [--database-url URL] ' +
      '[--port N] [--tag IMAGE] [--context DIR] [--keep-image] [--skip-build] [--report FILE]',
  );
  process.exit(2);
}

/**
 * Packages that only development needs, as package-lock.json keys
 * (node_modules/a/node_modules/b): every entry marked "dev". A devDependency
 * that a runtime dependency also uses (yaml for @fastify/swagger) is not
 * dev-only and may ship.
 */
function devOnlyPackages(): Set<string> {
  const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  return new Set(
    Object.entries(lock.packages)
      .filter(([k, e]) => k && e.dev)
      .map(([k]) => k),
  );
}

function baseImagesOf(dockerfile: string): string[] {
  // The ARG defaults that FROM lines use: the stand-ins must exist for them.
  const text = readFileSync(dockerfile, 'utf8');
  return [...text.matchAll(/^ARG \w+_IMAGE=(\S+)/gm)].map((m) => m[1] as string);
}

async function main(): Promise<number> {
  let v: Record<string, string | boolean | undefined>;
  try {
    ({ values: v } = parseArgs({
      options: {
        dockerfile: { type: 'string', default: 'Dockerfile' },
        target: { type: 'string' },
        'database-url': { type: 'string' },
        port: { type: 'string', default: '9090' },
        tag: { type: 'string', default: 'runway:container-test' },
        context: { type: 'string' },
        'keep-image': { type: 'boolean', default: false },
        'skip-build': { type: 'boolean', default: false },
        report: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`container-test: ${(err as Error).message}`);
    return usage();
  }
  if (v.help) usage();
  const dockerfile = path.resolve(repoRoot, v.dockerfile as string);
  const image = v.tag as string;
  const adminUrl =
    (v['database-url'] as string | undefined) ??
    process.env.CONTAINER_TEST_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test';
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    version: string;
    devDependencies?: Record<string, string>;
  };
  const gitSha =
    (await run('git', ['rev-parse', 'HEAD'], { cwd: repoRoot })).stdout.trim() || 'unknown';

  let engine: Engine;
  try {
    engine = await pickEngine(repoRoot, process.env.CONTAINER_CLI);
  } catch (err) {
    console.error(`container-test: ${(err as Error).message}`);
    return 2;
  }
  console.log(`engine: ${engine.cli}`);
  const cli = (args: string[], opts: Parameters<typeof run>[2] = {}) =>
    run(engine.cli, args, { timeoutMs: 120_000, ...opts });
  const cliOk = (args: string[], opts: Parameters<typeof run>[2] = {}) =>
    runOk(engine.cli, args, { timeoutMs: 120_000, ...opts });

  // ---- build ------------------------------------------------------------
  if (!v['skip-build']) {
    await ensureBaseImages(engine, baseImagesOf(dockerfile));
    const args = [
      'build',
      '-f',
      dockerfile,
      '-t',
      image,
      '--build-arg',
      `GIT_SHA=${gitSha}`,
      '--build-arg',
      `APP_VERSION=${pkg.version}`,
    ];
    if (v.target) args.push('--target', v.target as string);
    args.push(v.context ? path.resolve(v.context as string) : repoRoot);
    console.log(
      `building ${image} from ${path.relative(repoRoot, dockerfile)}${v.target ? ` (target ${v.target})` : ''}`,
    );
    const b = await cli(args, { inherit: true, timeoutMs: 15 * 60_000 });
    if (b.code !== 0) {
      if (
        /npm ci.*can only install packages when your package\.json and package-lock\.json/s.test(
          b.stdout + b.stderr,
        )
      ) {
        console.error(
          'container-test: `npm ci` refused package-lock.json as out of sync with package.json (the "Missing: ... from lock file" lines above). ' +
            'Every optional platform package of every dependency must have a lock entry: regenerate the lock with `npm install` ' +
            'against a registry that serves them all, or add the missing entries (name, version, optional, os, cpu), then commit it.',
        );
      }
      console.error(
        `container-test: the image build failed (exit ${b.code}); see the build log above`,
      );
      return 1;
    }
    report.buildSeconds = Math.round(b.ms / 100) / 10;
    console.log(`built in ${report.buildSeconds} s`);
  }

  // ---- image metadata -----------------------------------------------------
  const cfg = JSON.parse(
    (await cliOk(['image', 'inspect', '--format', '{{json .Config}}', image])).stdout,
  ) as {
    User?: string;
    Labels?: Record<string, string>;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    ExposedPorts?: Record<string, unknown>;
  };
  const user = cfg.User ?? '';
  check(
    user !== '' && !/^(0|root)(:|$)/.test(user),
    'image runs as a non-root user',
    `USER ${user || '(unset: root)'}`,
  );
  check(
    cfg.Labels?.['org.opencontainers.image.revision'] === gitSha,
    'OCI label revision = commit SHA',
    String(cfg.Labels?.['org.opencontainers.image.revision']),
  );
  check(
    cfg.Labels?.['org.opencontainers.image.version'] === pkg.version,
    'OCI label version = package.json version',
    String(cfg.Labels?.['org.opencontainers.image.version']),
  );
  const startCmd = [...(cfg.Entrypoint ?? []), ...(cfg.Cmd ?? [])];
  check(
    /(^|\/)node$/.test(startCmd[0] ?? '') && startCmd.at(-1) === 'dist/server.js',
    'exec-form start straight into node (no npm, no shell)',
    JSON.stringify(startCmd),
  );
  check(Object.keys(cfg.ExposedPorts ?? {}).includes('8080/tcp'), 'EXPOSE 8080');

  // ---- files in the image ---------------------------------------------------
  const walk = await walkImage(engine.cli, image, repoRoot);
  report.files = {
    regular: walk.files,
    symlinks: walk.symlinks,
    dirs: walk.dirs,
    bytes: walk.bytes,
  };
  report.appFiles = walk.app.length;
  console.log(
    `image files: ${walk.files} regular files, ${walk.symlinks} symlinks, ${walk.dirs} directories; /app holds ${walk.app.length} entries`,
  );
  const devOnly = devOnlyPackages();
  const appModules = walk.nodeModules.filter((p) => p.startsWith('/app/'));
  const devInImage = walk.app.filter((p) => {
    const m = /^\/app\/((?:node_modules\/(?:@[\w.-]+\/)?[\w.-]+\/?)+)/.exec(p);
    return m ? devOnly.has((m[1] as string).replace(/\/$/, '')) : false;
  });
  check(
    devInImage.length === 0,
    'no dev dependency installed in the image',
    devInImage.slice(0, 5).join(', '),
  );
  const devBundled = walk.bundledPackages.filter((p) => devOnly.has(p));
  check(devBundled.length === 0, 'no dev dependency bundled into dist/*.js', devBundled.join(', '));
  report.bundledPackages = walk.bundledPackages.length;
  report.appNodeModules = appModules;
  const forbidden = walk.app.filter(
    (p) =>
      /^\/app\/(src|test|scripts|ops|deploy|bench|\.git|\.github)(\/|$)/.test(p) ||
      /(^|\/)\.env(\.|$)/.test(p) ||
      /\/(gha-creds-[^/]*\.json|[^/]*-key\.json|service-account[^/]*\.json|credentials\.json|[^/]*\.pem|[^/]*\.p12)$/.test(
        p,
      ) ||
      (p.endsWith('.ts') && !p.endsWith('.d.ts')),
  );
  check(
    forbidden.length === 0,
    'no sources, tests, .env or key files in the image',
    forbidden.slice(0, 5).join(', '),
  );
  check(
    walk.app.includes('/app/dist/server.js') && walk.app.includes('/app/dist/migrate.js'),
    'dist/server.js and dist/migrate.js present',
  );
  check(
    walk.app.some((p) => p.startsWith('/app/drizzle/') && p.endsWith('.sql')),
    'migrations present in /app/drizzle',
  );

  const size = await imageSize(engine.cli, image);
  report.size = size;
  console.log(
    `image size: ${(size.bytes / 2 ** 20).toFixed(1)} MiB uncompressed, ${(size.gzipBytes / 2 ** 20).toFixed(1)} MiB gzip`,
  );

  // ---- run against PostgreSQL -------------------------------------------
  let db: ThrowawayDb;
  try {
    db = await createThrowawayDb(adminUrl);
  } catch (err) {
    console.error(`container-test: ${(err as Error).message}`);
    return 2;
  }
  console.log(`database: ${redact(db.url)}`);
  const name = `runway-ct-${Date.now().toString(36)}`;
  let started = false;
  try {
    const bad = await cli(
      migrateArgs(image, {
        DATABASE_URL: 'postgres://postgres@127.0.0.1:9/none',
        DB_CONNECT_TIMEOUT_MS: '2000',
      }),
      { timeoutMs: 60_000 },
    );
    check(
      bad.code !== 0 && bad.code !== null,
      'migrate exits non-zero when the database is unreachable',
      `exit ${bad.code}`,
    );
    const mig = await cli(migrateArgs(image, { DATABASE_URL: db.url }), { timeoutMs: 120_000 });
    if (
      !check(
        mig.code === 0,
        'migrations apply in the image (node dist/migrate.js)',
        `exit ${mig.code} ${mig.code ? mig.stderr.slice(-500) : ''}`,
      )
    ) {
      return 1;
    }

    const port = await choosePort(Number(v.port));
    const base = `http://127.0.0.1:${port}`;
    const t0 = performance.now();
    const r = await cli([
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'host',
      '-e',
      `PORT=${port}`,
      '-e',
      'ENVIRONMENT=production',
      '-e',
      `DATABASE_URL=${db.url}`,
      image,
    ]);
    started = r.code === 0;
    if (!check(started, `container starts with PORT=${port}`, started ? '' : r.stderr.trim()))
      return 1;
    const runReturned = performance.now() - t0;
    const startedAt = (
      await cliOk(['inspect', '--format', '{{.State.StartedAt}}', name])
    ).stdout.trim();
    const live = await waitFor200(`${base}/live`, 30_000).catch((e: Error) => e);
    const tLive = performance.now();
    check(
      !(live instanceof Error),
      `/live answers on PORT=${port} (PORT is honoured)`,
      live instanceof Error ? live.message : '',
    );
    const ready = await request(`${base}/ready`).catch((e: Error) => e);
    const tReady = performance.now();
    check(
      !(ready instanceof Error) &&
        ready.status === 200 &&
        JSON.parse(ready.body).status === 'ready',
      '/ready answers 200 {"status":"ready"} against PostgreSQL',
      ready instanceof Error ? ready.message : `${ready.status} ${ready.body}`,
    );
    const processStart = Date.parse(startedAt);
    report.coldStart = {
      runToLiveMs: Math.round(tLive - t0),
      runToReadyMs: Math.round(tReady - t0),
      runCommandMs: Math.round(runReturned),
      // From the engine's own start timestamp: excludes container creation.
      processStartToLiveMs: Number.isFinite(processStart)
        ? Math.round(Date.now() - (tReady - tLive) - processStart)
        : null,
    };
    console.log(`cold start: ${JSON.stringify(report.coldStart)}`);

    // The image's HEALTHCHECK command, run in the container as the engine would.
    // Asked for on its own: podman leaves it out of {{json .Config}} (not part of the OCI config).
    const hcJson = (
      await cliOk(['image', 'inspect', '--format', '{{json .Config.Healthcheck}}', image])
    ).stdout.trim();
    const hc = ((JSON.parse(hcJson || 'null') as { Test?: string[] } | null)?.Test ??
      []) as string[];
    if (hc[0] === 'CMD' && hc.length > 1) {
      const h = await cli(['exec', name, ...hc.slice(1)], { timeoutMs: 30_000 });
      check(
        h.code === 0,
        'the HEALTHCHECK command passes in the running container',
        h.code ? `exit ${h.code} ${h.stderr.trim()}` : '',
      );
    } else {
      check(
        false,
        'the image has an exec-form HEALTHCHECK (for local docker runs)',
        JSON.stringify(hc),
      );
    }

    const pid = (await cliOk(['inspect', '--format', '{{.State.Pid}}', name])).stdout.trim();
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      check(uid !== undefined && uid !== '0', 'the server process runs as non-root', `uid ${uid}`);
    } catch {
      const who = await cliOk([
        'run',
        '--rm',
        '--network',
        'host',
        image,
        '-e',
        'process.stdout.write(String(process.getuid()))',
      ]);
      check(
        who.stdout.trim() !== '0',
        'the server process runs as non-root',
        `uid ${who.stdout.trim()}`,
      );
    }

    try {
      await smokeTest({ baseUrl: base, readyTimeoutMs: 10_000 });
      check(true, 'items round trip (the deploy smoke test) passes');
    } catch (err) {
      check(false, 'items round trip (the deploy smoke test) passes', (err as Error).message);
    }

    // ---- SIGTERM with requests in flight ----------------------------------
    const slow = await Promise.all(
      [1, 2, 3].map((i) =>
        startSlowPost(port, '/api/v1/items', { name: `in flight ${i}`, price: i }),
      ),
    );
    let stopSentAt: number | undefined;
    const load = startLoad(port, '/api/v1/items?limit=5', 8, () => stopSentAt);
    await new Promise((res) => setTimeout(res, 300));
    stopSentAt = performance.now();
    const stopping = cli(['stop', '--time', '10', name], { timeoutMs: 30_000 });
    await new Promise((res) => setTimeout(res, 500));
    for (const s of slow) s.finish();
    const slowResults = await Promise.all(
      slow.map((s) => s.done.catch((e: Error) => ({ status: 0, raw: e.message }))),
    );
    const stop = await stopping;
    const stats = await load.end();
    const exitCode = (
      await cliOk(['inspect', '--format', '{{.State.ExitCode}}', name])
    ).stdout.trim();
    report.shutdown = {
      stopMs: Math.round(stop.ms),
      exitCode: Number(exitCode),
      slowStatuses: slowResults.map((s) => s.status),
      load: stats,
    };
    check(
      slowResults.every((s) => s.status === 201),
      'requests in flight at SIGTERM complete (201)',
      slowResults.map((s) => s.status || s.raw).join(', '),
    );
    check(
      stats.serverErrors.length === 0,
      'no 5xx other than 503 during shutdown',
      stats.serverErrors.slice(0, 3).join('; '),
    );
    check(exitCode === '0', 'exit code 0 after SIGTERM', `exit ${exitCode}`);
    check(stop.ms < 10_000, 'stopped within 10 s of SIGTERM', `${Math.round(stop.ms)} ms`);
    console.log(`shutdown: ${JSON.stringify(report.shutdown)}`);
  } finally {
    if (failures.length > 0 && started) {
      const logs = await cli(['logs', name]).catch(() => undefined);
      if (logs)
        console.log(
          `---- container logs (last 40 lines) ----\n${(logs.stdout + logs.stderr).split('\n').slice(-40).join('\n')}`,
        );
    }
    if (started) await cli(['rm', '-f', name]).catch(() => undefined);
    await db
      .drop()
      .catch((err: Error) => console.error(`warning: could not drop ${db.name}: ${err.message}`));
    if (!v['keep-image']) await cli(['rmi', image]).catch(() => undefined);
  }

  if (v.report) writeFileSync(v.report as string, `${JSON.stringify(report, null, 2)}\n`);
  if (failures.length) {
    console.error(
      `\ncontainer-test: ${failures.length} check(s) failed:\n  - ${failures.join('\n  - ')}`,
    );
    return 1;
  }
  console.log('\ncontainer-test: all checks passed');
  return 0;
}

process.exitCode = await main();
