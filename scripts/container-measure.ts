// Measures the two candidate runtime bases side by side: image size, file
// count and cold start (median of N starts against PostgreSQL). The figures
// behind the choice in docs/container-image.md and the cold start recorded in
// deploy/cloudrun/probe-budget.json come from here.
//
//   node scripts/container-measure.ts [--runs 5] [--context DIR]
//       [--database-url postgres://postgres@127.0.0.1:5432/test] [--json FILE]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createThrowawayDb } from './container/database.ts';
import { ensureBaseImages, pickEngine } from './container/engine.ts';
import { run, runOk } from './container/exec.ts';
import { choosePort, waitFor200 } from './container/http.ts';
import { migrateArgs, walkImage } from './container/image-commands.ts';
import { imageSize } from './container/image-size.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGETS = [
  { target: 'runtime', base: 'gcr.io/distroless/nodejs24-debian12:nonroot' },
  { target: 'runtime-slim', base: 'node:24-slim (USER node)' },
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

const { values: v } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    context: { type: 'string' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    json: { type: 'string' },
  },
});
const runs = Number(v.runs);
const engine = await pickEngine(repoRoot, process.env.CONTAINER_CLI);
await ensureBaseImages(engine, ['node:24-slim', 'gcr.io/distroless/nodejs24-debian12:nonroot']);
const db = await createThrowawayDb(v['database-url'] as string);
const results: Record<string, unknown>[] = [];
try {
  for (const t of TARGETS) {
    const image = `runway:measure-${t.target}`;
    const b = await runOk(
      engine.cli,
      ['build', '--target', t.target, '-t', image, v.context ?? repoRoot],
      { timeoutMs: 15 * 60_000 },
    );
    await runOk(engine.cli, migrateArgs(image, { DATABASE_URL: db.url }), { timeoutMs: 120_000 });
    const size = await imageSize(engine.cli, image);
    const walk = await walkImage(engine.cli, image, repoRoot);
    const toLive: number[] = [];
    const processToLive: number[] = [];
    for (let i = 0; i < runs; i++) {
      const port = await choosePort(9190);
      const name = `runway-measure-${t.target}-${i}`;
      const t0 = performance.now();
      await runOk(engine.cli, [
        'run',
        '-d',
        '--name',
        name,
        '--network',
        'host',
        '--cpus',
        '1',
        '--memory',
        '512m',
        '-e',
        `PORT=${port}`,
        '-e',
        'ENVIRONMENT=production',
        '-e',
        `DATABASE_URL=${db.url}`,
        image,
      ]);
      await waitFor200(`http://127.0.0.1:${port}/ready`, 30_000);
      const wallAtReady = Date.now();
      toLive.push(performance.now() - t0);
      const startedAt = Date.parse(
        (
          await runOk(engine.cli, ['inspect', '--format', '{{.State.StartedAt}}', name])
        ).stdout.trim(),
      );
      processToLive.push(wallAtReady - startedAt);
      await run(engine.cli, ['rm', '-f', name], { timeoutMs: 60_000 });
    }
    const r = {
      target: t.target,
      base: t.base,
      buildSeconds: Math.round(b.ms / 100) / 10,
      sizeMiB: Math.round((size.bytes / 2 ** 20) * 10) / 10,
      gzipMiB: Math.round((size.gzipBytes / 2 ** 20) * 10) / 10,
      files: walk.files,
      symlinks: walk.symlinks,
      coldStartReadyMedianMs: Math.round(median(toLive)),
      coldStartReadyMs: toLive.map(Math.round),
      processStartToReadyMedianMs: Math.round(median(processToLive)),
      processStartToReadyMs: processToLive,
    };
    console.log(JSON.stringify(r));
    results.push(r);
    await run(engine.cli, ['rmi', image], { timeoutMs: 120_000 });
  }
} finally {
  await db.drop();
}
const out = { measuredAt: new Date().toISOString(), engine: engine.name, runs, results };
if (v.json) writeFileSync(v.json, `${JSON.stringify(out, null, 2)}\n`);
