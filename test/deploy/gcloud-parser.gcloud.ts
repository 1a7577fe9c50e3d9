// Every gcloud command line the deploy issues goes through the real gcloud
// CLI's argument parser. gcloud cannot reach Google here: it is pointed at a
// closed local proxy, and a command line passes when gcloud gets as far as
// opening a connection (or finishes without one), not when it stops on its
// arguments or on the service.yaml it was given.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { FakeClis } from './helpers/fake-cli.ts';
import {
  AFTER_DEPLOY,
  AFTER_PROMOTE,
  CURRENT,
  DEPLOY_ARGS,
  json,
  MIGRATE_ARGS,
  PROMOTE_ARGS,
  repoRoot,
  runScript,
} from './helpers/scenario.ts';

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

/** The gcloud lines of the workflows' run: blocks, with the job's variables filled in. */
function workflowGcloudLines(): string[][] {
  const text = readFileSync(path.join(repoRoot, '.github', 'workflows', 'deploy.yml'), 'utf8');
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

/** The gcloud commands of DEPLOYMENT.md's shell blocks, with example values. */
function documentedGcloudLines(): string[][] {
  const doc = readFileSync(path.join(repoRoot, 'DEPLOYMENT.md'), 'utf8');
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
  const lines: string[][] = [];
  let home: string;

  before(() => {
    home = mkdtempSync(path.join(tmpdir(), 'runway-gcloud-'));
    writeFileSync(path.join(home, 'token'), 'offline-test-token');
    // The command lines the step scripts issue, recorded by a fake gcloud.
    const f = new FakeClis({
      gcloud: [
        { match: '^run jobs deploy', replies: [{}] },
        {
          match: '^run services describe',
          replies: [json(CURRENT), json(AFTER_DEPLOY), json(AFTER_PROMOTE)],
        },
        { match: '^run services (replace|update-traffic)', replies: [{}] },
      ],
    });
    for (const [script, args] of [
      ['migrate.sh', MIGRATE_ARGS],
      ['deploy-revision.sh', [...DEPLOY_ARGS, '--workdir', `${f.dir}/work`]],
      ['promote.sh', PROMOTE_ARGS],
    ] as const) {
      const r = runScript(f, script, [...args]);
      assert.equal(r.code, 0, `${script}: ${r.stderr}`);
    }
    const seen = new Set<string>();
    for (const c of f.calls('gcloud')) {
      const key = c.argv.slice(0, 3).join(' ');
      if (seen.has(key)) continue; // one of each command: gcloud starts slowly
      seen.add(key);
      lines.push(c.argv);
    }
    lines.push(...workflowGcloudLines());
  });

  it('covers every kind of command the deploy uses', () => {
    const kinds = lines.map((a) => a.slice(0, 3).join(' '));
    for (const k of [
      'run jobs deploy',
      'run services describe',
      'run services replace',
      'run services update-traffic',
      'auth configure-docker europe-west1-docker.pkg.dev',
    ]) {
      assert.ok(kinds.includes(k), `${k} missing from ${JSON.stringify(kinds)}`);
    }
  });

  it('are accepted by the real gcloud (they fail on the network, not on arguments)', async () => {
    const verdicts = await Promise.all(lines.map((a) => tryGcloud(a, home)));
    const rejected = verdicts
      .map((v, i) => ({ v, line: lines[i]?.join(' ') }))
      .filter((x) => x.v.kind === 'rejected');
    assert.deepEqual(rejected, []);
  });

  it('validates the rendered service.yaml against the Service schema (a typo is caught)', async () => {
    const replace = lines.find(
      (a) => a.slice(0, 3).join(' ') === 'run services replace',
    ) as string[];
    const broken = path.join(home, 'broken-service.yaml');
    writeFileSync(
      broken,
      readFileSync(replace[3] as string, 'utf8').replace(
        'containerConcurrency:',
        'containerConcurency:',
      ),
    );
    const v = await tryGcloud(['run', 'services', 'replace', broken, ...replace.slice(4)], home);
    assert.equal(v.kind, 'rejected');
    assert.match(v.detail, /containerConcurency/);
  });

  it("in DEPLOYMENT.md's one-time set-up are accepted by the real gcloud too", async () => {
    const documented = documentedGcloudLines();
    assert.ok(documented.length >= 15, `found only ${documented.length} gcloud commands`);
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
