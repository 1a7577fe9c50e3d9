// doctor: one fixture repository per pitfall, each flagged; the clean fixture
// and the project itself pass; live checks against a fake gcloud.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { githubVariables } from '../../ops/bootstrap/steps/github.ts';
import { judgeImage } from '../../ops/doctor/checks/mutable-tag.ts';
import { readBudget } from '../../ops/doctor/checks/probes.ts';
import { dockerignore, gitignore } from '../../ops/doctor/ignore.ts';
import { doctorReport } from '../../ops/doctor/run.ts';
import { deriveNames } from '../../ops/names.ts';
import { createFakeGcloud, emptyState, PROJECT, ROOT, runCli } from './helpers/fake-gcloud.ts';

const FIXTURES = join(ROOT, 'test/fixtures/doctor');
const offline = (repoDir: string) =>
  doctorReport({ repoDir, service: 'runway', offline: true, json: true }, {});

describe('doctor offline, one fixture per pitfall', () => {
  it('passes the clean fixture', async () => {
    const r = await offline(join(FIXTURES, 'clean'));
    assert.deepEqual(
      r.findings.filter((f) => f.severity !== 'info'),
      [],
    );
    assert.equal(r.ok, true);
  });

  const cases: Array<[string, string, number | null, 'error' | 'warning']> = [
    ['pitfall-3-buildkit', 'dockerfile-buildkit-syntax', 3, 'error'],
    ['pitfall-4-port', 'port-mismatch', 4, 'error'],
    ['pitfall-5-latest-tag', 'deploy-latest-tag', 5, 'error'],
    ['pitfall-6-hidden-logs', 'cloud-build-logs-hidden', 6, 'error'],
    ['probe-budget-short', 'startup-probe-budget', null, 'error'],
    ['probe-path-missing', 'probe-path-missing', null, 'error'],
    ['probe-budget-unmeasured', 'probe-budget-unmeasured', null, 'warning'],
    ['secrets-ignore-files', 'gitignore-key-files', null, 'error'],
    ['secrets-ignore-files', 'dockerignore-key-files', null, 'error'],
    ['secrets-key-with-wif', 'workflow-key-with-wif', null, 'error'],
  ];
  for (const [fixture, id, pitfall, severity] of cases) {
    it(`${fixture}: ${id}`, async () => {
      const r = await offline(join(FIXTURES, fixture));
      const f = r.findings.find((x) => x.id === id);
      assert.ok(f, `expected ${id} in ${JSON.stringify(r.findings.map((x) => x.id))}`);
      assert.equal(f.pitfall, pitfall);
      assert.equal(f.severity, severity);
      assert.ok(f.fix.length > 10, 'every finding carries a fix');
      assert.equal(r.ok, severity !== 'error');
    });
  }

  it('names the exact fix: the failureThreshold that covers the budget', async () => {
    const r = await offline(join(FIXTURES, 'probe-budget-short'));
    const f = r.findings.find((x) => x.id === 'startup-probe-budget');
    // 7 s needed at 2 s per period -> 4 failures.
    assert.match(f?.fix ?? '', /failureThreshold to 4\b/);
  });

  it('flags a key file tracked by git and one sitting in the Docker context', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runway-doctor-keys-'));
    cpSync(join(FIXTURES, 'clean'), dir, { recursive: true });
    const key = JSON.stringify({
      type: 'service_account',
      private_key_id: 'x',
      private_key: 'not a real key',
    });
    // Not matched by any ignore pattern by name, caught by its content.
    writeFileSync(join(dir, 'deploy-sa.json'), key);
    // Ignored by both files: must not be flagged.
    writeFileSync(join(dir, 'gha-creds-abc123.json'), key);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
    git('init', '-q');
    git('add', '-f', 'deploy-sa.json');
    const r = await offline(dir);
    const ids = r.findings
      .filter((f) => f.file === 'deploy-sa.json')
      .map((f) => f.id)
      .sort();
    assert.deepEqual(ids, ['key-file-in-docker-context', 'key-file-tracked']);
    assert.ok(!r.findings.some((f) => f.file === 'gha-creds-abc123.json'));
    assert.equal(r.ok, false);
  });

  it('exits 1 with errors and 0 when clean, with --json on stdout', async () => {
    const env = { PATH: '/usr/bin:/bin' };
    const bad = await runCli(
      ['doctor', '--offline', '--json', '--repo', join(FIXTURES, 'pitfall-4-port')],
      env,
    );
    assert.equal(bad.code, 1);
    const doc = JSON.parse(bad.stdout);
    assert.equal(doc.ok, false);
    assert.ok(
      doc.findings.every(
        (f: Record<string, unknown>) =>
          'id' in f && 'pitfall' in f && 'severity' in f && 'message' in f && 'fix' in f,
      ),
    );
    const good = await runCli(['doctor', '--offline', '--repo', join(FIXTURES, 'clean')], env);
    assert.equal(good.code, 0, good.stdout);
    assert.match(good.stdout, /0 error\(s\)/);
    const usage = await runCli(['doctor', '--project', 'X'], env);
    assert.equal(usage.code, 2);
  });
});

describe('doctor helpers', () => {
  it('judges image references', () => {
    assert.equal(judgeImage('europe-west1-docker.pkg.dev/p/r/s:latest'), 'mutable-latest');
    assert.equal(judgeImage('europe-west1-docker.pkg.dev/p/r/s'), 'mutable-latest');
    assert.equal(judgeImage('localhost:5000/s'), 'mutable-latest');
    assert.equal(judgeImage('europe-west1-docker.pkg.dev/p/r/s:v1'), 'mutable-tag');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a JS template
    assert.equal(judgeImage('europe-west1-docker.pkg.dev/p/r/s:${{ github.sha }}'), 'immutable');
    assert.equal(
      judgeImage(`europe-west1-docker.pkg.dev/p/r/s@sha256:${'a'.repeat(64)}`),
      'immutable',
    );
    assert.equal(judgeImage('europe-west1-docker.pkg.dev/p/r/s:3f9c2ab'), 'immutable');
    assert.equal(judgeImage('$IMAGE'), 'unknown');
  });

  it('anchors .dockerignore patterns at the root, not .gitignore ones', () => {
    assert.equal(dockerignore('*-key.json')('deploy/a-key.json'), false);
    assert.equal(dockerignore('**/*-key.json')('deploy/a-key.json'), true);
    assert.equal(dockerignore('*\n!dist')('sa-key.json'), true);
    assert.equal(dockerignore('*\n!dist')('dist/server.js'), false);
    assert.equal(gitignore('*-key.json')('deploy/a-key.json'), true);
    assert.equal(gitignore('/a-key.json')('deploy/a-key.json'), false);
  });

  it('reads the probe budget in ms or s', () => {
    assert.deepEqual(
      { ...readBudget({ coldStartMs: 2164, dbConnectTimeoutMs: 5000 }), source: '' },
      { coldStartSeconds: 2.164, connectTimeoutSeconds: 5, source: '' },
    );
    assert.equal(readBudget({ coldStartSeconds: 3 }).coldStartSeconds, 3);
    assert.equal(readBudget({ requiredStartupBudgetMs: 1 }).coldStartSeconds, null);
  });
});

describe('doctor live checks (fake gcloud)', () => {
  const args = (extra: string[] = []) => [
    'doctor',
    '--json',
    '--repo',
    join(FIXTURES, 'clean'),
    '--project',
    PROJECT,
    '--region',
    'europe-west1',
    '--github',
    'acme/runway',
    ...extra,
  ];

  it('passes a project that bootstrap set up, then flags what was broken afterwards', async () => {
    const fake = createFakeGcloud();
    const boot = await runCli(
      ['bootstrap', '--project', PROJECT, '--region', 'europe-west1', '--github', 'acme/runway'],
      fake.env,
    );
    assert.equal(boot.code, 0, boot.stderr);
    const clean = await runCli(args(), fake.env);
    const doc = JSON.parse(clean.stdout);
    assert.equal(doc.live.ran, true);
    assert.deepEqual(doc.findings, []);
    assert.equal(clean.code, 0);

    const n = deriveNames(PROJECT, 'europe-west1', 'runway');
    const s = fake.state();
    s.serviceAccounts[n.runtimeSa].iam.bindings = [];
    s.projectIam.bindings.push({
      role: 'roles/iam.serviceAccountUser',
      members: [`serviceAccount:${n.deployerSa}`],
    });
    s.providers['github-actions/gh-runway'].attributeCondition =
      "assertion.repository_owner == 'acme'";
    s.serviceAccounts[n.deployerSa].iam.bindings[0].members.push(
      'principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github-actions/*',
    );
    fake.setState(s);
    const broken = await runCli(args(), fake.env);
    assert.equal(broken.code, 1);
    const ids = JSON.parse(broken.stdout)
      .findings.map((f: { id: string; pitfall: number }) => `${f.pitfall}:${f.id}`)
      .sort();
    assert.deepEqual(ids, [
      '2:deployer-act-as-runtime',
      '2:service-account-too-broad',
      '2:wif-binding-too-broad',
      '2:wif-condition-unpinned',
    ]);
  });

  it('flags disabled APIs and a missing registry (pitfall 1)', async () => {
    const fake = createFakeGcloud(
      emptyState({
        services: [
          'iam.googleapis.com',
          'artifactregistry.googleapis.com',
          'cloudresourcemanager.googleapis.com',
        ],
      }),
    );
    const r = await runCli(args(), fake.env);
    assert.equal(r.code, 1);
    const findings = JSON.parse(r.stdout).findings as Array<{
      id: string;
      pitfall: number;
      fix: string;
    }>;
    const apis = findings.find((f) => f.id === 'apis-disabled');
    assert.equal(apis?.pitfall, 1);
    assert.match(
      apis?.fix ?? '',
      /^gcloud services enable run\.googleapis\.com .*--project=acme-runway-1$/,
    );
    const repo = findings.find((f) => f.id === 'registry-missing');
    assert.match(
      repo?.fix ?? '',
      /runway -- bootstrap --project acme-runway-1 --region europe-west1 --github acme\/runway/,
    );
  });

  it('skips live checks, with an info finding, when gcloud is not authenticated', async () => {
    const fake = createFakeGcloud(emptyState({ authenticated: false }));
    const r = await runCli(args(), fake.env);
    assert.equal(r.code, 0);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.live.ran, false);
    assert.equal(doc.findings[0].id, 'live-checks-skipped');
    assert.deepEqual(
      fake.calls().map((c) => c.argv.slice(0, 2).join(' ')),
      ['auth print-access-token'],
    );
  });
});

describe('the project itself', () => {
  it('passes doctor offline with no errors or warnings', async () => {
    const r = await offline(ROOT);
    assert.deepEqual(
      r.findings
        .filter((f) => f.severity !== 'info')
        .map((f) => `${f.severity} ${f.id}: ${f.message}`),
      [],
    );
  });

  it('bootstrap prints every repository variable the deploy workflow reads', async () => {
    const text = (await import('node:fs')).readFileSync(
      join(ROOT, '.github/workflows/deploy.yml'),
      'utf8',
    );
    const read = new Set([...text.matchAll(/vars\.([A-Z0-9_]+)/g)].map((m) => m[1] as string));
    // Toggles that are the operator's choice, not facts of the project.
    read.delete('DEPLOY_ON_PUSH');
    const opts = {
      project: PROJECT,
      region: 'europe-west1',
      github: 'acme/runway',
      service: 'runway',
      withCloudsql: true,
      setGithub: false,
      dryRun: false,
      json: false,
      public: false,
      keep: 10,
    };
    const printed = Object.keys(
      githubVariables({
        opts,
        names: deriveNames(PROJECT, 'europe-west1', 'runway'),
        projectNumber: '1',
        policyFile: '',
        password: '',
      }),
    );
    assert.deepEqual(
      [...read].filter((v) => !printed.includes(v)),
      [],
    );
  });
});
