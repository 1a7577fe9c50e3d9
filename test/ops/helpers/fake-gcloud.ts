// Puts a fake `gcloud` first on the PATH of a spawned process. The state file
// is the fake project: tests seed it, run the CLI, and read it back.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, '../../..');
export const CLI = join(ROOT, 'ops/cli.ts');

export const PROJECT = 'acme-runway-1';
export const PROJECT_NUMBER = '123456789012';

export function emptyState(overrides: Record<string, unknown> = {}) {
  return {
    account: 'ops@example.com',
    authenticated: true,
    projectId: PROJECT,
    projectNumber: PROJECT_NUMBER,
    services: [] as string[],
    repos: {},
    serviceAccounts: {},
    projectIam: { bindings: [] },
    pools: {},
    providers: {},
    sqlInstances: {},
    sqlDatabases: {},
    sqlUsers: {},
    secrets: {},
    failures: [],
    ...overrides,
  };
}

export interface Fake {
  dir: string;
  env: Record<string, string>;
  calls(): Array<{ argv: string[]; stdin?: string }>;
  // biome-ignore lint/suspicious/noExplicitAny: the state is JSON that tests index freely
  state(): any;
  setState(s: unknown): void;
  clearCalls(): void;
}

export function createFakeGcloud(initial: unknown = emptyState()): Fake {
  const dir = mkdtempSync(join(tmpdir(), 'runway-fake-gcloud-'));
  const statePath = join(dir, 'state.json');
  const logPath = join(dir, 'calls.jsonl');
  writeFileSync(statePath, JSON.stringify(initial, null, 2));
  writeFileSync(logPath, '');
  const bin = join(dir, 'bin');
  const gcloud = join(bin, 'gcloud');
  mkdirSync(bin);
  writeFileSync(
    gcloud,
    `#!/bin/sh\nFAKE_GCLOUD_STATE='${statePath}' FAKE_GCLOUD_LOG='${logPath}' exec '${process.execPath}' '${join(here, 'fake-gcloud-bin.mjs')}' "$@"\n`,
  );
  chmodSync(gcloud, 0o755);
  const env = {
    PATH: [bin, dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter),
    HOME: dir,
    LANG: 'C.UTF-8',
    // IAM propagation retries wait 2 s x attempt for real; tests need not.
    RUNWAY_RETRY_DELAY_MS: '10',
  };
  return {
    dir,
    env,
    calls: () =>
      readFileSync(logPath, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    state: () => JSON.parse(readFileSync(statePath, 'utf8')),
    setState: (s) => writeFileSync(statePath, JSON.stringify(s, null, 2)),
    clearCalls: () => writeFileSync(logPath, ''),
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Spawns `node ops/cli.ts ...` with an explicit env (never the test's own). */
export function runCli(
  args: string[],
  env: Record<string, string>,
  cwd = ROOT,
): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env,
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}
