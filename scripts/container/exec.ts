// Child processes with a hard time limit, so that a hung engine or server
// fails the run with a message instead of hanging CI.
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Stream the child's output to ours (for long steps such as a build). */
  inherit?: boolean;
  input?: string;
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdout += d;
      if (opts.inherit) process.stdout.write(d);
    });
    child.stderr.on('data', (d: string) => {
      stderr += d;
      if (opts.inherit) process.stderr.write(d);
    });
    child.stdin.end(opts.input);
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          child.kill('SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`cannot start ${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** Like run(), but throws with the command's stderr when it does not exit 0. */
export async function runOk(
  cmd: string,
  args: string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const how = r.signal
      ? `was killed (${r.signal}, time limit ${opts.timeoutMs} ms)`
      : `exited ${r.code}`;
    throw new Error(`${[cmd, ...args].join(' ')} ${how}\n${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r;
}
