// The one place that spawns gcloud. Everything else builds argv arrays and
// reads the parsed result, so tests can swap the binary through PATH and the
// real CLI's parser can be exercised with the very same argv.
import { spawn } from 'node:child_process';
import { classifyGcloudFailure, type GcloudFailure } from './errors.ts';

export type Env = Record<string, string | undefined>;

export interface GcloudResult {
  argv: string[];
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the child's stdin (secret payloads go here, never on argv). */
  stdin?: string;
  timeoutMs?: number;
}

export interface Gcloud {
  run(args: string[], opts?: RunOptions): Promise<GcloudResult>;
  /** Runs and parses JSON from stdout; throws GcloudError on failure. */
  json<T = unknown>(args: string[], context: FailureContext, opts?: RunOptions): Promise<T>;
  /** Runs; throws GcloudError on failure. */
  must(args: string[], context: FailureContext, opts?: RunOptions): Promise<GcloudResult>;
}

export interface FailureContext {
  /** What we were doing, in words: "create the Artifact Registry repository runway". */
  what: string;
  project: string;
  /** The role that lets the caller do it, for a permission-denied fix. */
  role?: string;
}

export class GcloudError extends Error {
  override name = 'GcloudError';
  failure: GcloudFailure;
  result: GcloudResult;
  constructor(failure: GcloudFailure, result: GcloudResult) {
    super(`${failure.what} failed: ${failure.why}`);
    this.failure = failure;
    this.result = result;
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof GcloudError && err.failure.kind === 'not-found';
}

export interface GcloudOptions {
  env: Env;
  /** Command name or path; looked up on env.PATH. */
  bin?: string;
  /** Called for every finished call (for --verbose and for tests). */
  onCall?: (r: GcloudResult) => void;
}

export function createGcloud(options: GcloudOptions): Gcloud {
  const bin = options.bin ?? 'gcloud';
  // Never let gcloud ask a question: a prompt in CI hangs until the job times out.
  const env: Env = { ...options.env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' };

  const run = (args: string[], opts: RunOptions = {}): Promise<GcloudResult> =>
    new Promise((resolve) => {
      const child = spawn(bin, args, {
        env: env as NodeJS.ProcessEnv,
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: opts.timeoutMs ?? 15 * 60_000,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
      });
      child.stderr.setEncoding('utf8').on('data', (c: string) => {
        stderr += c;
      });
      child.on('error', (err: NodeJS.ErrnoException) => {
        // ENOENT: gcloud is not installed or not on PATH.
        const code = err.code === 'ENOENT' ? 127 : 1;
        const r = { argv: args, code, stdout, stderr: stderr || `${bin}: ${err.message}` };
        options.onCall?.(r);
        resolve(r);
      });
      child.on('close', (code, signal) => {
        const r = {
          argv: args,
          code: code ?? (signal ? 124 : 1),
          stdout,
          stderr: signal ? `${stderr}\ngcloud was stopped (${signal}) after a timeout` : stderr,
        };
        options.onCall?.(r);
        resolve(r);
      });
      child.stdin.on('error', () => {
        // The child may exit before reading stdin; the exit code tells the story.
      });
      child.stdin.end(opts.stdin ?? '');
    });

  const must = async (args: string[], context: FailureContext, opts?: RunOptions) => {
    const r = await run(args, opts);
    if (r.code !== 0) {
      throw new GcloudError(classifyGcloudFailure(r, context), r);
    }
    return r;
  };

  const json = async <T>(args: string[], context: FailureContext, opts?: RunOptions) => {
    const r = await must(args, context, opts);
    const text = r.stdout.trim();
    if (text === '') return null as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new GcloudError(
        {
          kind: 'unexpected-output',
          what: context.what,
          why: `gcloud printed output that is not JSON: ${text.slice(0, 200)}`,
          fix: `gcloud components update  # or run: gcloud ${args.join(' ')}`,
          command: ['gcloud', ...args].join(' '),
        },
        r,
      );
    }
  };

  return { run, must, json };
}

/** Quote an argv for display so that it can be pasted into a POSIX shell. */
export function shellJoin(argv: string[]): string {
  return argv
    .map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`))
    .join(' ');
}
