// Image size as `docker images` shows it, and the gzip size of `save`, which
// is close to what a registry stores and Cloud Run pulls.
import { spawn } from 'node:child_process';
import { createGzip } from 'node:zlib';
import { runOk } from './exec.ts';

export async function imageSize(
  cli: string,
  image: string,
): Promise<{ bytes: number; gzipBytes: number }> {
  const bytes = Number(
    (
      await runOk(cli, ['image', 'inspect', '--format', '{{.Size}}', image], { timeoutMs: 60_000 })
    ).stdout.trim(),
  );
  const child = spawn(cli, ['save', image], { stdio: ['ignore', 'pipe', 'pipe'] });
  const gz = createGzip({ level: 6 });
  let gzipBytes = 0;
  let err = '';
  gz.on('data', (c: Buffer) => {
    gzipBytes += c.length;
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  child.stdout.pipe(gz);
  const gzEnded = new Promise<void>((resolve, reject) => {
    gz.on('end', resolve);
    gz.on('error', reject);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const code = await exited;
  if (code !== 0) throw new Error(`${cli} save ${image} exited ${code}: ${err.trim()}`);
  await gzEnded;
  return { bytes, gzipBytes };
}
