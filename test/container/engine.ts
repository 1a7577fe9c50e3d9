// The container CLI the test and the measurement drive: docker when its
// engine answers, otherwise the podman front end in ../shared/tools, for
// machines without Docker (its base-images.sh first builds local stand-ins of
// the FROM images, a no-op once they exist). Both take docker's command line.
import { type ExecFileException, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const tools = path.resolve(repoRoot, '..', 'shared', 'tools');

export interface Engine {
  /** Runs the CLI; resolves with its stdout, rejects with its output when it does not exit 0. */
  run(args: string[], timeoutMs?: number): Promise<string>;
  /** Runs the CLI; resolves with its exit code and output (stdout, then stderr), whatever the code. */
  attempt(args: string[], timeoutMs?: number): Promise<{ code: number; output: string }>;
}

export async function pickEngine(): Promise<Engine> {
  const docker = await execFileP('docker', ['info'], { timeout: 5000 }).then(
    () => true,
    () => false,
  );
  if (docker) return engine('docker');
  const shim = path.join(tools, 'container.sh');
  if (!existsSync(shim)) {
    throw new Error(
      `no container engine: docker does not answer and ${shim} is missing; start Docker`,
    );
  }
  await execFileP(path.join(tools, 'base-images.sh'), [], { timeout: 15 * 60_000 });
  return engine(shim);
}

function engine(cli: string): Engine {
  const attempt = async (args: string[], timeoutMs = 120_000) => {
    try {
      const r = await execFileP(cli, args, { timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 });
      return { code: 0, output: r.stdout + r.stderr, stdout: r.stdout };
    } catch (err) {
      const e = err as ExecFileException & { stdout?: string; stderr?: string };
      const output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
      if (typeof e.code !== 'number') {
        throw new Error(
          `${path.basename(cli)} ${args[0]}: ${e.signal ?? e.message}\n${output.slice(-4000)}`,
        );
      }
      return { code: e.code, output, stdout: e.stdout ?? '' };
    }
  };
  return {
    attempt,
    async run(args, timeoutMs) {
      const r = await attempt(args, timeoutMs);
      if (r.code !== 0) {
        throw new Error(
          `${path.basename(cli)} ${args[0]} exited ${r.code}:\n${r.output.trim().slice(-4000)}`,
        );
      }
      return r.stdout;
    },
  };
}
