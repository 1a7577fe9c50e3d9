// The gcloud command lines of the deploy workflow and of DEPLOYMENT.md go
// through the real gcloud CLI's argument parser (the deploy verb's own are run
// by test/deploy/deploy.test.ts against the stand-in). gcloud cannot reach
// Google here: it is pointed at a closed local proxy, and a command line
// passes when gcloud gets as far as opening a connection (or finishes without
// one), not when it stops on its arguments.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { repoRoot } from './helpers/scenario.ts';

const gcloud = spawnSync('sh', ['-c', 'command -v gcloud'], { encoding: 'utf8' }).stdout.trim();

type Verdict = { kind: 'network' | 'ok' | 'rejected'; detail: string };

/** Runs gcloud offline; stops it as soon as it opens a connection (parsing is over by then). */
function tryGcloud(argv: string[], home: string): Promise<Verdict> {
  return new Promise((resolve) => {
    const child = spawn(gcloud, [...argv, '--verbosity=debug'], {
      // Closed stdin: `--data-file=-` reads to the end of it instead of waiting.
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: '/usr/bin:/bin',
        HOME: home,
        CLOUDSDK_CONFIG: path.join(home, 'gcloud'),
        CLOUDSDK_CORE_PROJECT: 'demo-project',
        CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: path.join(home, 'token'),
        CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
        CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: '1',
        CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: '1',
        CLOUDSDK_CORE_SHOULD_PROMPT_TO_ENABLE_API: 'false',
        CLOUDSDK_PROXY_TYPE: 'http',
        CLOUDSDK_PROXY_ADDRESS: '127.0.0.1',
        CLOUDSDK_PROXY_PORT: '9',
      },
    });
    let err = '';
    let settled = false;
    const done = (v: Verdict) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(v);
    };
    const timer = setTimeout(
      () => done({ kind: 'rejected', detail: `no answer in 30 s\n${err.slice(-2000)}` }),
      30_000,
    );
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      err += d;
      if (/Starting new HTTPS connection|Caught socket error|ProxyError/.test(err))
        done({ kind: 'network', detail: '' });
    });
    child.on('close', (code) => {
      if (code === 0) done({ kind: 'ok', detail: '' });
      else if (/ConnectionError|Unable to connect to proxy|Max retries exceeded/.test(err))
        done({ kind: 'network', detail: '' });
      else
        done({
          kind: 'rejected',
          detail: `exit ${code}: ${err
            .split('\n')
            .filter((l) => !l.startsWith('DEBUG'))
            .join('\n')
            .slice(-1500)}`,
        });
    });
  });
}

/** The gcloud lines of the deploy workflows' run: blocks, with the job's variables filled in. */
function workflowGcloudLines(): string[][] {
  const text = ['workflows/deploy.yml', 'workflows/deploy-vm.yml', 'actions/build-image/action.yml']
    .map((f) => readFileSync(path.join(repoRoot, '.github', f), 'utf8'))
    .join('\n');
  const values: Record<string, string> = {
    REGION: 'europe-west1',
    PROJECT: 'demo-project',
    SERVICE: 'runway',
  };
  return text
    .split('\n')
    .map((l) => l.trim().replace(/^run:\s*/, ''))
    .filter((l) => l.startsWith('gcloud '))
    .map((l) =>
      l
        .slice('gcloud '.length)
        .replace(/\$(\w+)/g, (_, k: string) => values[k] ?? `UNKNOWN_${k}`)
        .split(/\s+/)
        .map((w) => w.replace(/^"|"$/g, '')),
    );
}

/** Splits one shell command line into words (quotes, no expansion beyond the given variables). */
export function shellWords(line: string, vars: Record<string, string>): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | undefined;
  const expand = (i: number): [string, number] => {
    const m = /^\$(?:\{(\w+)\}|(\w+))/.exec(line.slice(i));
    if (!m) return ['$', i + 1];
    const name = (m[1] ?? m[2]) as string;
    return [vars[name] ?? `UNSET_${name}`, i + m[0].length];
  };
  for (let i = 0; i < line.length; ) {
    const c = line[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
      i++;
    } else if (quote === '"') {
      if (c === '"') {
        quote = undefined;
        i++;
      } else if (c === '$') {
        const [v, j] = expand(i);
        cur += v;
        i = j;
      } else {
        cur += c;
        i++;
      }
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
      i++;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else if (c === '$') {
      const [v, j] = expand(i);
      cur += v;
      inWord = true;
      i = j;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** The gcloud commands of DEPLOYMENT.md's and docs/compute-engine.md's shell blocks, with example values. */
function documentedGcloudLines(): string[][] {
  const doc = ['DEPLOYMENT.md', 'docs/compute-engine.md']
    .map((f) => readFileSync(path.join(repoRoot, f), 'utf8'))
    .join('\n');
  const vars: Record<string, string> = {
    PROJECT: 'demo-project',
    REGION: 'europe-west1',
    SERVICE: 'runway',
    GITHUB: 'my-org/my-repo',
    PROJECT_NUMBER: '123456789',
    RUNTIME_SA: 'runway-runtime@demo-project.iam.gserviceaccount.com',
    DEPLOYER_SA: 'runway-deployer@demo-project.iam.gserviceaccount.com',
    DB_PASSWORD: 'example-password',
    role: 'roles/logging.logWriter',
  };
  const out: string[][] = [];
  for (const block of doc.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const logical = (block[1] as string).replace(/\\\n\s*/g, ' ').split('\n');
    for (const line of logical) {
      for (const m of line.matchAll(/(?:^|[|;(]|&&|do)\s*gcloud\s+([^|;)#]*)/g)) {
        const words = shellWords((m[1] as string).trim(), vars);
        // `auth login` is interactive by design: nothing to check offline.
        if (words.length && words.slice(0, 2).join(' ') !== 'auth login') out.push(words);
      }
    }
  }
  return out;
}

describe('gcloud command lines', { skip: gcloud ? false : 'gcloud is not installed' }, () => {
  let home: string;

  before(() => {
    home = mkdtempSync(path.join(tmpdir(), 'runway-gcloud-'));
    writeFileSync(path.join(home, 'token'), 'offline-test-token');
  });

  it("in the deploy workflows' run: steps are accepted by the real gcloud", async () => {
    const lines = workflowGcloudLines();
    assert.ok(
      lines.some((a) => a.slice(0, 2).join(' ') === 'auth configure-docker'),
      JSON.stringify(lines),
    );
    const verdicts = await Promise.all(lines.map((a) => tryGcloud(a, home)));
    assert.deepEqual(
      verdicts.filter((v) => v.kind === 'rejected'),
      [],
    );
  });

  it('in DEPLOYMENT.md and docs/compute-engine.md are accepted by the real gcloud', async () => {
    const documented = documentedGcloudLines();
    assert.ok(documented.length >= 5, `found only ${documented.length} gcloud commands`);
    const verdicts: { line: string; v: Verdict }[] = [];
    // Four at a time: each gcloud start costs a second of CPU.
    for (let i = 0; i < documented.length; i += 4) {
      const batch = documented.slice(i, i + 4);
      const vs = await Promise.all(batch.map((a) => tryGcloud(a, home)));
      for (const [j, v] of vs.entries())
        verdicts.push({ line: (batch[j] as string[]).join(' '), v });
    }
    assert.deepEqual(
      verdicts.filter((x) => x.v.kind === 'rejected'),
      [],
    );
  });

  it('would catch a bad flag (the check can fail)', async () => {
    const v = await tryGcloud(
      [
        'run',
        'services',
        'update-traffic',
        'runway',
        '--region',
        'europe-west1',
        '--to-revision',
        'x=100',
      ],
      home,
    );
    assert.equal(v.kind, 'rejected');
    assert.match(v.detail, /unrecognized arguments|argument/);
  });
});
