// Measures the production image: size, file count and cold start (median of N
// starts against PostgreSQL, each held to 1 CPU and 512 MiB like a Cloud Run
// instance), for docs/container-measurements.json and probe-budget.json.
//
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//     node scripts/container-measure.ts [--runs 5] [--json FILE]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { throwawayDatabase } from '../test/container/database.ts';
import { pickEngine } from '../test/container/engine.ts';
import { buildImage, imageMiB, walkImage } from '../test/container/image.ts';
import { migrateArgs, startService } from '../test/container/service.ts';

const IMAGE = 'runway:measure';
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, json: { type: 'string' } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error('--runs must be a whole number, e.g. --runs 5');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(
    ((s[Math.floor((s.length - 1) / 2)] ?? 0) + (s[Math.ceil((s.length - 1) / 2)] ?? 0)) / 2,
  );
};

const engine = await pickEngine();
const buildSeconds = await buildImage(engine, IMAGE);
const database = await throwawayDatabase();
const coldStartReadyMs: number[] = [];
const processStartToReadyMs: number[] = [];
try {
  await engine.run(migrateArgs(IMAGE, { DATABASE_URL: database.url }));
  for (let i = 0; i < runs; i++) {
    const name = `runway-measure-${process.pid}-${i}`;
    try {
      const { readyMs } = await startService(engine, IMAGE, name, database.url, [
        '--cpus',
        '1',
        '--memory',
        '512m',
      ]);
      const readyAt = Date.now();
      // The engine's own start time: leaves out creating the container.
      const startedAt = Date.parse(
        (await engine.run(['inspect', '--format', '{{.State.StartedAt}}', name])).trim(),
      );
      coldStartReadyMs.push(readyMs);
      processStartToReadyMs.push(readyAt - startedAt);
    } finally {
      await engine.attempt(['rm', '-f', name]);
    }
  }
  const size = await imageMiB(engine, IMAGE);
  const walk = await walkImage(engine, IMAGE);
  const result = {
    measuredAt: new Date().toISOString(),
    buildSeconds,
    sizeMiB: size.mib,
    gzipMiB: size.gzipMiB,
    files: walk.files,
    symlinks: walk.symlinks,
    coldStartReadyMedianMs: median(coldStartReadyMs),
    coldStartReadyMs,
    processStartToReadyMedianMs: median(processStartToReadyMs),
    processStartToReadyMs,
  };
  const text = `${JSON.stringify(result, null, 2)}\n`;
  if (values.json) writeFileSync(values.json, text);
  else process.stdout.write(text);
} finally {
  await database.drop();
  await engine.attempt(['rmi', IMAGE]);
}
