// Building, reading and running the production image, shared by the container
// test and the measurement script so that both see the image the same way.
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { type Engine, repoRoot } from './engine.ts';

export const version = (
  JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }
).version;
export const gitSha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot })
  .toString()
  .trim();

/** Builds the Dockerfile as the deploy does; resolves with the seconds it took. */
export async function buildImage(engine: Engine, image: string): Promise<number> {
  const t0 = performance.now();
  await engine.run(
    [
      'build',
      '-t',
      image,
      '--build-arg',
      `GIT_SHA=${gitSha}`,
      '--build-arg',
      `APP_VERSION=${version}`,
      repoRoot,
    ],
    15 * 60_000,
  );
  return Math.round((performance.now() - t0) / 100) / 10;
}

export interface Walk {
  files: number;
  symlinks: number;
  /** Every path under /app. */
  app: string[];
  /** Packages installed under /app and inlined into the bundle, as package-lock.json keys. */
  installed: string[];
  bundled: string[];
}

export async function walkImage(engine: Engine, image: string): Promise<Walk> {
  const walker = readFileSync(path.join(import.meta.dirname, 'image-walker.js'), 'utf8');
  return JSON.parse(
    await engine.run(['run', '--rm', '--network', 'host', '--user', '0', image, '-e', walker]),
  ) as Walk;
}

/** Uncompressed size (as `docker images` shows it) and the gzip size of `save`, close to what a registry stores. */
export async function imageMiB(engine: Engine, image: string) {
  const bytes = Number(await engine.run(['image', 'inspect', '--format', '{{.Size}}', image]));
  const dir = mkdtempSync(path.join(tmpdir(), 'runway-image-'));
  let gzipBytes = 0;
  try {
    await engine.run(['save', '-o', path.join(dir, 'image.tar'), image]);
    await pipeline(createReadStream(path.join(dir, 'image.tar')), createGzip(), async (chunks) => {
      for await (const c of chunks) gzipBytes += (c as Buffer).length;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  return { mib: mib(bytes), gzipMiB: mib(gzipBytes) };
}
