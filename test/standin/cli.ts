// Runs the operator CLI in this process against a stand-in: gcloud is the
// real one, spawned by the CLI with the stand-in's environment.
import { fileURLToPath } from 'node:url';
import { main } from '../../ops/cli.ts';
import type { Standin } from './server.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(
  argv: string[],
  standin: Standin,
  extraEnv: Record<string, string> = {},
  cwd = ROOT,
  /** What the CLI reads as its secret input (bootstrap's DATABASE_URL). */
  stdin = '',
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (t) => {
      stdout += t.endsWith('\n') ? t : `${t}\n`;
    },
    stderr: (t) => {
      stderr += t.endsWith('\n') ? t : `${t}\n`;
    },
    env: standin.env(extraEnv),
    cwd,
    retryDelayMs: 10,
    readSecret: async () => stdin,
  });
  return { code, stdout, stderr };
}
