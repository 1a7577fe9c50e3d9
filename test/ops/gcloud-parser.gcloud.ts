// Every gcloud command line bootstrap can issue is accepted by the real
// gcloud's argument parser. The gcloud installed here is offline, so each
// command runs with a dummy token and every API endpoint pointed at a local
// listener; it must fail on the network side, never on its arguments
// (argument errors exit 2 with "unrecognized arguments", "Invalid choice",
// "argument --x: ..."), and the request must have reached the listener.
//
// Why a listener that answers HTTP 400 instead of a closed port: gcloud's
// HTTP layer (apitools) retries connection errors 5 times with exponential
// backoff, ~32 s per command, with no property to turn that off. An HTTP 4xx
// is not retried, so a command finishes in ~0.6 s, and the recorded request
// (method and path) proves the command got past parsing. One command is also
// run against a closed port, in parallel, to show the same holds there.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, it } from 'node:test';
import { allGcloudCommands } from '../../ops/bootstrap/plan.ts';
import type { BootstrapOptions } from '../../ops/bootstrap/step.ts';
import { cleanupPolicy } from '../../ops/bootstrap/steps/registry.ts';
import { deriveNames } from '../../ops/names.ts';

const GCLOUD = [
  '/usr/bin/gcloud',
  ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'gcloud')),
].find((p) => existsSync(p));
const MARKER = 'runway-parser-probe';
const ARG_ERROR =
  /unrecognized arguments|Invalid choice|argument [^\n]*: |ERROR: \(gcloud[^)]*\) (?:argument|Invalid value|Bad value|Missing required)/;
const APIS = [
  'ARTIFACTREGISTRY',
  'SERVICEUSAGE',
  'IAM',
  'CLOUDRESOURCEMANAGER',
  'SECRETMANAGER',
  'SQL',
];

function commandLines(dir: string): Array<{ argv: string[]; stdin?: string }> {
  const policyFile = join(dir, 'cleanup-policy.json');
  writeFileSync(policyFile, JSON.stringify(cleanupPolicy(10)));
  const variants: BootstrapOptions[] = [
    // All options on: Cloud SQL steps, numeric repository id, run.admin.
    {
      project: 'acme-runway-1',
      region: 'europe-west1',
      github: 'acme/runway',
      githubRepoId: '987654',
      service: 'runway',
      withCloudsql: true,
      setGithub: false,
      dryRun: false,
      json: false,
      public: true,
      keep: 10,
    },
    // Pinned by name instead of id.
    {
      project: 'acme-runway-1',
      region: 'us-central1',
      github: 'acme/runway',
      service: 'api',
      withCloudsql: false,
      setGithub: false,
      dryRun: false,
      json: false,
      public: false,
      keep: 3,
    },
  ];
  const seen = new Set<string>();
  const out: Array<{ argv: string[]; stdin?: string }> = [];
  for (const [i, opts] of variants.entries()) {
    const names = deriveNames(opts.project, opts.region, opts.service);
    for (const argv of allGcloudCommands({
      opts,
      names,
      projectNumber: '123456789012',
      policyFile,
      password: 'pw-Abc123_x',
    })) {
      // The second variant only changes values; of it, only the provider
      // commands (the other attribute condition) add anything to parse.
      if (i > 0 && !argv.some((a) => a.startsWith('--attribute-condition='))) continue;
      const key = argv.join('\0');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(
        argv.includes('--data-file=-')
          ? { argv, stdin: 'postgres://u:p@/db?host=/cloudsql/a:b:c' }
          : { argv },
      );
    }
  }
  return out;
}

interface Run {
  argv: string[];
  code: number;
  stderr: string;
  ms: number;
}

function runGcloud(
  argv: string[],
  env: Record<string, string>,
  stdin?: string,
  timeoutMs = 60_000,
): Promise<Run> {
  const start = Date.now();
  return new Promise((resolve) => {
    const child = spawn(GCLOUD as string, argv, {
      env,
      stdio: ['pipe', 'ignore', 'pipe'],
      timeout: timeoutMs,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.stdin.on('error', () => {});
    child.stdin.end(stdin ?? '');
    child.on('close', (code) =>
      resolve({ argv, code: code ?? -1, stderr, ms: Date.now() - start }),
    );
  });
}

async function pool<T, R>(items: T[], size: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i] as T);
      }
    }),
  );
  return results;
}

function gcloudEnv(dir: string, endpoint: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: ['/usr/bin', '/bin'].join(delimiter),
    HOME: dir,
    CLOUDSDK_CONFIG: join(dir, 'gcloud-config'),
    CLOUDSDK_AUTH_ACCESS_TOKEN: 'dummy-token',
    CLOUDSDK_CORE_PROJECT: 'acme-runway-1',
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: '1',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: '1',
    CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
  };
  for (const api of APIS) env[`CLOUDSDK_API_ENDPOINT_OVERRIDES_${api}`] = endpoint;
  return env;
}

describe('the real gcloud accepts every bootstrap command line', {
  skip: GCLOUD ? false : 'gcloud is not installed',
}, () => {
  it('fails on the network, not on the arguments', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runway-gcloud-parser-'));
    const requests: string[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests.push(`${req.method} ${req.url}`);
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: { code: 400, message: MARKER, status: 'FAILED_PRECONDITION' } }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    // A port nobody listens on: bind, read the number, close.
    const closed = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    try {
      const commands = commandLines(dir);
      assert.ok(commands.length >= 30, `only ${commands.length} command lines`);
      const env = gcloudEnv(dir, `http://127.0.0.1:${port}/`);
      // Prime the config directory once so parallel runs don't race to create it.
      await runGcloud(['config', 'list', '--format=none'], env);

      const closedRun = runGcloud(
        [
          'artifacts',
          'repositories',
          'describe',
          'runway',
          '--location=europe-west1',
          '--project=acme-runway-1',
          '--format=json',
        ],
        gcloudEnv(dir, `http://127.0.0.1:${closed}/`),
        undefined,
        90_000,
      );
      const runs = await pool(commands, 3, (c) => runGcloud(c.argv, env, c.stdin));
      const problems: string[] = [];
      for (const r of runs) {
        const cmd = `gcloud ${r.argv.join(' ')}`;
        if (r.code === 2 || ARG_ERROR.test(r.stderr))
          problems.push(`${cmd}\n  rejected its arguments: ${r.stderr.trim()}`);
        else if (r.code === 0) problems.push(`${cmd}\n  succeeded offline?`);
        else if (!r.stderr.includes(MARKER))
          problems.push(`${cmd}\n  did not reach the endpoint: ${r.stderr.trim()}`);
      }
      assert.deepEqual(problems, []);
      assert.ok(
        requests.length >= commands.length,
        `${requests.length} requests for ${commands.length} commands`,
      );

      const c = await closedRun;
      assert.notEqual(c.code, 2, c.stderr);
      assert.doesNotMatch(c.stderr, ARG_ERROR);
      assert.match(
        c.stderr,
        /Connection refused|Failed to establish a new connection|ConnectionError/,
      );
    } finally {
      server.close();
    }
  });
});
