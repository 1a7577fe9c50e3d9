// bootstrap against a fake gcloud: idempotency, order, least privilege,
// repairs and error messages. The CLI is spawned with an explicit env whose
// PATH starts with the fake, so nothing here touches the test's own process.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { buildPlan } from '../../ops/bootstrap/plan.ts';
import type { BootstrapOptions } from '../../ops/bootstrap/step.ts';
import { databaseUrl } from '../../ops/bootstrap/steps/cloudsql.ts';
import { deriveNames } from '../../ops/names.ts';
import {
  createFakeGcloud,
  emptyState,
  PROJECT,
  PROJECT_NUMBER,
  runCli,
} from './helpers/fake-gcloud.ts';

const REGION = 'europe-west1';
const BASE = ['bootstrap', '--project', PROJECT, '--region', REGION, '--github', 'acme/runway'];
const FULL = [...BASE, '--with-cloudsql', '--github-repo-id', '987654'];
const names = deriveNames(PROJECT, REGION, 'runway');
const deployer = `serviceAccount:${names.deployerSa}`;
const runtime = `serviceAccount:${names.runtimeSa}`;

const WRITE_VERBS =
  /^(create|create-oidc|update-oidc|enable|undelete|add-iam-policy-binding|remove-iam-policy-binding|set-cleanup-policies|set-password|add)$/;
function writes(calls: Array<{ argv: string[] }>) {
  return calls.filter((c) => c.argv.some((a) => WRITE_VERBS.test(a)) && !c.argv.includes('list'));
}
const rolesOf = (iam: { bindings: Array<{ role: string; members: string[] }> }, m: string) =>
  iam.bindings
    .filter((b) => b.members.includes(m))
    .map((b) => b.role)
    .sort();

describe('bootstrap on a fresh project', () => {
  // One full run (and its re-run) is shared by the assertions below: each
  // spawn of the CLI makes ~35 fake gcloud calls.
  const fake = createFakeGcloud();
  let first: Awaited<ReturnType<typeof runCli>>;
  let firstCalls: Array<{ argv: string[]; stdin?: string }>;
  before(async () => {
    first = await runCli([...FULL, '--json'], fake.env);
    firstCalls = fake.calls();
  });

  it('creates everything, then a second run reads only and changes nothing', async () => {
    assert.equal(first.code, 0, first.stderr);
    const report = JSON.parse(first.stdout);
    assert.equal(report.ok, true);
    assert.ok(report.changed >= 10, `first run changed ${report.changed} steps`);
    assert.ok(writes(firstCalls).length > 10);

    fake.clearCalls();
    const second = await runCli([...FULL, '--json'], fake.env);
    assert.equal(second.code, 0, second.stderr);
    const again = JSON.parse(second.stdout);
    assert.equal(again.changed, 0);
    assert.ok(again.steps.every((s: { status: string }) => s.status === 'unchanged'));
    assert.deepEqual(writes(fake.calls()), [], 'the second run must only read');
    assert.ok(fake.calls().length > 10, 'the second run still reads every resource');
  });

  it('enables the APIs before any call that needs them', () => {
    const calls = firstCalls.map((c) => c.argv.join(' '));
    const enable = calls.findIndex((c) => c.startsWith('services enable'));
    assert.ok(enable > 0, 'services enable was called');
    const firstApiUser = calls.findIndex((c) =>
      /^(artifacts|iam|sql|secrets) |get-iam-policy/.test(c),
    );
    assert.ok(enable < firstApiUser, `enable at ${enable}, first API call at ${firstApiUser}`);
    // Accounts exist before a binding names them; the pool before its provider.
    const idx = (re: RegExp) => calls.findIndex((c) => re.test(c));
    assert.ok(
      idx(/^iam service-accounts create runway-deployer/) <
        idx(/add-iam-policy-binding .*runway-deployer/),
    );
    assert.ok(idx(/^iam workload-identity-pools create/) < idx(/providers create-oidc/));
    assert.ok(idx(/^secrets create/) < idx(/^secrets add-iam-policy-binding/));
  });

  it('grants least privilege: no owner/editor, serviceAccountUser only on the runtime account', () => {
    const s = fake.state();
    assert.deepEqual(rolesOf(s.projectIam, deployer), ['roles/run.developer']);
    assert.deepEqual(rolesOf(s.projectIam, runtime), [
      'roles/cloudsql.client',
      'roles/cloudtrace.agent',
      'roles/logging.logWriter',
    ]);
    for (const b of s.projectIam.bindings) {
      assert.ok(
        !['roles/owner', 'roles/editor', 'roles/iam.serviceAccountUser'].includes(b.role),
        b.role,
      );
    }
    assert.deepEqual(rolesOf(s.repos.runway.iam, deployer), ['roles/artifactregistry.writer']);
    assert.deepEqual(rolesOf(s.serviceAccounts[names.runtimeSa].iam, deployer), [
      'roles/iam.serviceAccountUser',
    ]);
    assert.deepEqual(rolesOf(s.secrets[names.secret].iam, runtime), [
      'roles/secretmanager.secretAccessor',
    ]);
    // Only the pinned repository may impersonate the deployer.
    const wif = s.serviceAccounts[names.deployerSa].iam.bindings;
    assert.deepEqual(wif, [
      {
        role: 'roles/iam.workloadIdentityUser',
        members: [
          `principalSet://iam.googleapis.com/projects/${PROJECT_NUMBER}/locations/global/workloadIdentityPools/github-actions/attribute.repository_id/987654`,
        ],
      },
    ]);
    const provider = s.providers['github-actions/gh-runway'];
    assert.equal(provider.attributeCondition, "assertion.repository_id == '987654'");
    assert.equal(provider.oidc.issuerUri, 'https://token.actions.githubusercontent.com');
  });

  it('stores DATABASE_URL in the unix-socket form through stdin, never on argv', () => {
    const s = fake.state();
    const url = s.secrets[names.secret].versions[0].data as string;
    const password = s.sqlUsers['runway-pg'].find(
      (u: { name: string }) => u.name === 'runway',
    ).password;
    assert.equal(url, databaseUrl(names, password));
    assert.match(
      url,
      new RegExp(
        `^postgres://runway:[^@]+@/runway\\?host=/cloudsql/${PROJECT}:${REGION}:runway-pg$`,
      ),
    );
    const create = firstCalls.find((c) => c.argv[0] === 'secrets' && c.argv[1] === 'create');
    assert.equal(create?.stdin, url);
    assert.ok(!create?.argv.join(' ').includes(password));
    assert.ok(!first.stdout.includes(password), 'the password is never printed');
  });

  it('issues only commands of the plan (the ones the parser test checks)', () => {
    const opts = {
      project: PROJECT,
      region: REGION,
      github: 'acme/runway',
      githubRepoId: '987654',
      service: 'runway',
      withCloudsql: true,
      setGithub: false,
      dryRun: false,
      json: true,
      public: false,
      keep: 10,
    } satisfies BootstrapOptions;
    const plan = buildPlan({
      opts,
      names,
      projectNumber: PROJECT_NUMBER,
      policyFile: 'P',
      password: 'PW',
    });
    // Same words and flags; flag values (file paths, passwords) may differ.
    const shape = (argv: string[]) =>
      argv.map((a) => (a.startsWith('--') ? a.split('=')[0] : a)).join(' ');
    const planned = new Set(plan.flatMap((s) => s.commands.map((c) => shape(c.argv))));
    for (const c of firstCalls)
      assert.ok(planned.has(shape(c.argv)), `not in the plan: gcloud ${c.argv.join(' ')}`);
  });

  it('sets the cleanup policy that keeps the last N images, out of dry-run mode', () => {
    const repo = fake.state().repos.runway;
    assert.equal(repo.cleanupPolicies['keep-recent'].mostRecentVersions.keepCount, 10);
    assert.equal(repo.cleanupPolicies['delete-old'].action, 'DELETE');
    assert.equal(repo.cleanupPolicyDryRun, false);
  });
});

describe('bootstrap variants', () => {
  it('pins by repository name without --github-repo-id, and --public grants run.admin', async () => {
    const fake = createFakeGcloud();
    assert.equal((await runCli([...BASE, '--public', '--keep', '5'], fake.env)).code, 0);
    const s = fake.state();
    assert.equal(s.repos.runway.cleanupPolicies['keep-recent'].mostRecentVersions.keepCount, 5);
    assert.equal(
      s.providers['github-actions/gh-runway'].attributeCondition,
      "assertion.repository == 'acme/runway'",
    );
    assert.deepEqual(rolesOf(s.projectIam, deployer), ['roles/run.admin']);
    assert.deepEqual(rolesOf(s.projectIam, runtime), [
      'roles/cloudtrace.agent',
      'roles/logging.logWriter',
    ]);
    assert.equal(s.sqlInstances['runway-pg'], undefined, 'no Cloud SQL without --with-cloudsql');
  });
});

describe('bootstrap repairs what is wrong', () => {
  it('re-pins an unpinned provider, strips owner/editor and project-wide serviceAccountUser, re-enables a disabled account', async () => {
    const fake = createFakeGcloud();
    assert.equal((await runCli(BASE, fake.env)).code, 0);
    const s = fake.state();
    s.providers['github-actions/gh-runway'].attributeCondition =
      "assertion.repository_owner == 'acme'";
    s.projectIam.bindings.push(
      { role: 'roles/editor', members: [deployer] },
      { role: 'roles/iam.serviceAccountUser', members: [deployer, 'user:alice@example.com'] },
    );
    s.serviceAccounts[names.runtimeSa].disabled = true;
    fake.setState(s);
    const r = await runCli([...BASE, '--json'], fake.env);
    assert.equal(r.code, 0, r.stderr);
    const after = fake.state();
    assert.equal(
      after.providers['github-actions/gh-runway'].attributeCondition,
      "assertion.repository == 'acme/runway'",
    );
    assert.deepEqual(rolesOf(after.projectIam, deployer), ['roles/run.developer']);
    assert.deepEqual(
      rolesOf(after.projectIam, 'user:alice@example.com'),
      ['roles/iam.serviceAccountUser'],
      'other members are left alone',
    );
    assert.equal(after.serviceAccounts[names.runtimeSa].disabled, false);
    const steps = Object.fromEntries(
      JSON.parse(r.stdout).steps.map((x: { id: string; status: string }) => [x.id, x.status]),
    );
    assert.equal(steps['wif-provider'], 'updated');
    assert.equal(steps['project-iam'], 'updated');
    assert.equal(steps.registry, 'unchanged');
  });

  it('writes a new password and secret version when the secret lost its versions', async () => {
    const fake = createFakeGcloud();
    assert.equal((await runCli(FULL, fake.env)).code, 0);
    const s = fake.state();
    s.secrets[names.secret].versions = [];
    fake.setState(s);
    fake.clearCalls();
    assert.equal((await runCli(FULL, fake.env)).code, 0);
    const verbs = writes(fake.calls()).map((c) => c.argv.slice(0, 3).join(' '));
    assert.deepEqual(verbs, ['sql users set-password', 'secrets versions add']);
    const after = fake.state();
    const password = after.sqlUsers['runway-pg'].find(
      (u: { name: string }) => u.name === 'runway',
    ).password;
    assert.equal(after.secrets[names.secret].versions[0].data, databaseUrl(names, password));
  });
});

describe('bootstrap errors', () => {
  const cases: Array<{
    error: string;
    match: string;
    permission?: string;
    why: RegExp;
    fix: RegExp;
  }> = [
    {
      error: 'permission-denied',
      match: 'artifacts repositories create',
      permission: 'artifactregistry.repositories.create',
      why: /lacks the permission artifactregistry\.repositories\.create on project acme-runway-1/,
      fix: /^gcloud projects add-iam-policy-binding acme-runway-1 --member="user:\$\(gcloud config get account\)" --role=roles\/artifactregistry\.admin/,
    },
    {
      error: 'api-disabled',
      match: 'iam service-accounts describe',
      permission: 'iam.googleapis.com',
      why: /the iam\.googleapis\.com API is not enabled/,
      fix: /^gcloud services enable iam\.googleapis\.com --project=acme-runway-1$/,
    },
    {
      error: 'billing-disabled',
      match: 'services enable',
      why: /billing is not enabled on project acme-runway-1/,
      fix: /^gcloud billing projects link acme-runway-1 --billing-account=/,
    },
    {
      error: 'quota-exceeded',
      match: 'iam service-accounts create',
      why: /quota was exceeded: RESOURCE_EXHAUSTED/,
      fix: /quotas\?project=acme-runway-1/,
    },
    {
      error: 'not-authenticated',
      match: 'projects describe',
      why: /no valid credentials/,
      fix: /^gcloud auth login$/,
    },
  ];
  for (const c of cases) {
    it(`${c.error}: one message with what failed, why, and the fix; exit 1`, async () => {
      const fake = createFakeGcloud(
        emptyState({ failures: [{ match: c.match, error: c.error, permission: c.permission }] }),
      );
      const human = await runCli(BASE, fake.env);
      assert.equal(human.code, 1);
      assert.match(human.stderr, /^x [\w-]+: .+ failed$/m);
      assert.match(human.stderr, /^ {2}why: /m);
      assert.match(human.stderr, /^ {2}fix: /m);
      const json = await runCli([...BASE, '--json'], fake.env);
      assert.equal(json.code, 1);
      const report = JSON.parse(json.stdout);
      assert.equal(report.ok, false);
      assert.equal(report.error.kind, c.error);
      assert.match(report.error.why, c.why);
      assert.match(report.error.fix, c.fix);
    });
  }

  it('stops at the failing step, and a re-run after the fix finishes the job', async () => {
    const fake = createFakeGcloud(
      emptyState({
        failures: [
          { match: 'workload-identity-pools create', error: 'permission-denied', remaining: 1 },
        ],
      }),
    );
    const first = await runCli([...BASE, '--json'], fake.env);
    assert.equal(first.code, 1);
    assert.equal(JSON.parse(first.stdout).failedStep, 'wif-pool');
    assert.ok(fake.state().repos.runway, 'earlier steps kept their work');
    const second = await runCli([...BASE, '--json'], fake.env);
    assert.equal(second.code, 0, second.stderr);
    const steps = JSON.parse(second.stdout).steps;
    assert.equal(steps.find((s: { id: string }) => s.id === 'registry').status, 'unchanged');
    assert.equal(steps.find((s: { id: string }) => s.id === 'wif-pool').status, 'created');
  });

  it('retries a binding that races a service account created a moment ago', async () => {
    const fake = createFakeGcloud(
      emptyState({
        failures: [
          {
            match: 'iam service-accounts add-iam-policy-binding',
            error: 'not-found',
            remaining: 2,
          },
        ],
      }),
    );
    const r = await runCli(BASE, fake.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      fake.calls().filter((c) => c.argv.includes('add-iam-policy-binding') && c.argv[0] === 'iam')
        .length,
      4,
    );
  });

  it('usage errors exit 2 and name the flag', async () => {
    const fake = createFakeGcloud();
    const cases = [
      [['bootstrap', '--region', REGION, '--github', 'acme/runway'], /--project is required/],
      [[...BASE, '--github-repo-id', 'abc'], /--github-repo-id must be the numeric repository id/],
      [
        ['bootstrap', '--project', 'Bad_Project', '--region', REGION, '--github', 'a/b'],
        /is not a project ID/,
      ],
      [[...BASE, '--bogus'], /Unknown option '--bogus'/],
      [['launch'], /unknown verb "launch"/],
    ] as const;
    for (const [args, re] of cases) {
      const r = await runCli([...args], fake.env);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, re);
    }
    assert.deepEqual(fake.calls(), [], 'no gcloud call on a usage error');
  });
});

describe('bootstrap --dry-run', () => {
  it('prints every command in order and calls nothing', async () => {
    const fake = createFakeGcloud();
    const r = await runCli([...FULL, '--dry-run'], fake.env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fake.calls(), []);
    const lines = r.stdout.split('\n').filter((l) => /^ {3}(gcloud|gh) /.test(l));
    const opts = {
      project: PROJECT,
      region: REGION,
      github: 'acme/runway',
      githubRepoId: '987654',
      service: 'runway',
      withCloudsql: true,
      setGithub: false,
      dryRun: true,
      json: false,
      public: false,
      keep: 10,
    } satisfies BootstrapOptions;
    const plan = buildPlan({
      opts,
      names,
      projectNumber: 'PROJECT_NUMBER',
      policyFile: 'cleanup-policy.json',
      password: '<generated>',
    });
    assert.equal(
      lines.length,
      plan.reduce((n, s) => n + s.commands.length, 0),
    );
    assert.match(lines[0] ?? '', /^ {3}gcloud projects describe acme-runway-1/);
    assert.ok(
      lines.findIndex((l) => l.includes('services enable')) <
        lines.findIndex((l) => l.includes('repositories create')),
    );
    assert.ok(!r.stdout.includes('--password=') || r.stdout.includes("'--password=<generated>'"));
    const json = await runCli([...FULL, '--dry-run', '--json'], fake.env);
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.dryRun, true);
    assert.equal(doc.steps[0].id, 'project');
    assert.equal(doc.cleanupPolicyFile[0].mostRecentVersions.keepCount, 10);
  });
});
