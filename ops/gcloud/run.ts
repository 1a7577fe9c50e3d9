// The one place that spawns gcloud (and gh). Everything else builds argv
// arrays and reads the parsed JSON; a failure becomes a GcloudError whose
// message is one line: what failed, why, and the fix.
import { execFile } from 'node:child_process';
import { classify, type Failure } from './errors.ts';

export type Env = Record<string, string | undefined>;

export interface Result {
  argv: string[];
  code: number;
  stdout: string;
  stderr: string;
}

export interface FailureContext {
  /** What we were doing, in words: "create the repository runway". */
  what: string;
  project: string;
  /** The role that lets the caller do it, named in a permission-denied fix (default roles/owner). */
  role?: string;
}

export class GcloudError extends Error {
  override name = 'GcloudError';
  failure: Failure;
  constructor(failure: Failure) {
    super(`${failure.what} failed: ${failure.why}`);
    this.failure = failure;
  }
  /** The whole story on one line. */
  get line(): string {
    return `${this.message}. Fix: ${this.failure.fix}`;
  }
}

/** What goes to stdin (secret values, which never go on argv), or that and a time limit. */
export type Input = string | { stdin?: string; timeoutMs?: number };

export interface Gcloud {
  /** Runs; never throws. */
  run(args: string[], input?: Input): Promise<Result>;
  /** Runs and throws GcloudError on failure. */
  must(args: string[], context: FailureContext, input?: Input): Promise<Result>;
  /** Runs, throws on failure, and parses stdout (gcloud prints [] or nothing for "none"). */
  json<T>(args: string[], context: FailureContext): Promise<T | null>;
}

/** `cwd`: where relative paths on argv (--metadata-from-file) resolve, the operator's directory. */
export function createGcloud(o: { env: Env; bin?: string; cwd?: string }): Gcloud {
  const bin = o.bin ?? 'gcloud';
  // A prompt in CI hangs until the job times out.
  const env = { ...o.env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' } as NodeJS.ProcessEnv;
  const run = (argv: string[], input: Input = '') =>
    new Promise<Result>((resolve) => {
      const { stdin = '', timeoutMs } = typeof input === 'string' ? { stdin: input } : input;
      const options = { env, cwd: o.cwd, timeout: timeoutMs, maxBuffer: Number.POSITIVE_INFINITY };
      const child = execFile(bin, argv, options, (err, stdout, stderr) => {
        // err.code: the exit code (null when killed), or a string when the process did not start.
        if (typeof err?.code !== 'string')
          return resolve({ argv, code: err ? (err.code ?? 1) : 0, stdout, stderr });
        const code = err.code === 'ENOENT' ? 127 : 1;
        resolve({ argv, code, stdout, stderr: `${bin}: ${err.message}` });
      });
      // The child may exit before it reads stdin; its exit code tells the story.
      child.stdin?.on('error', () => {});
      child.stdin?.end(stdin);
    });
  const must = async (argv: string[], context: FailureContext, input?: Input) => {
    const r = await run(argv, input);
    if (r.code !== 0) throw new GcloudError(classify(r, context));
    return r;
  };
  return {
    run,
    must,
    json: async <T>(argv: string[], context: FailureContext) => {
      const out = (await must(argv, context)).stdout.trim();
      return out ? (JSON.parse(out) as T) : null;
    },
  };
}

/** gcloud's command words as a shell splits them, then the arguments. */
export const cmd = (words: string, ...args: string[]) => [...words.split(' '), ...args];

/** An argv as a POSIX shell line, for printing. */
export function shellJoin(argv: string[]): string {
  return argv
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`))
    .join(' ');
}
