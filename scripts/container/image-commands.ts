// Commands run against a built image by both the container test and the base
// image measurement, so the two read the image the same way.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runOk } from './exec.ts';

/** What scripts/container/image-walker.js reports about the image's file system. */
export interface Walk {
  files: number;
  symlinks: number;
  dirs: number;
  bytes: number;
  app: string[];
  nodeModules: string[];
  bundledPackages: string[];
  uid: number;
  unreadable: string[];
}

/** `run` arguments for the migration job: the image's node with dist/migrate.js, on the host network. */
export function migrateArgs(image: string, env: Record<string, string>): string[] {
  const envArgs = Object.entries(env).flatMap(([k, val]) => ['-e', `${k}=${val}`]);
  return ['run', '--rm', '--network', 'host', ...envArgs, image, 'dist/migrate.js'];
}

/** Walks the image's files as root (the image's own node runs the walker). */
export async function walkImage(cli: string, image: string, repoRoot: string): Promise<Walk> {
  const walker = readFileSync(
    path.join(repoRoot, 'scripts', 'container', 'image-walker.js'),
    'utf8',
  );
  const r = await runOk(
    cli,
    ['run', '--rm', '--network', 'host', '--user', '0', image, '-e', walker],
    {
      timeoutMs: 120_000,
    },
  );
  return JSON.parse(r.stdout) as Walk;
}
