// bootstrap drives the real gcloud against the stand-in of Google's APIs: an
// empty project set up in one run, a second run that only reads, drift
// repaired, least privilege, and the failures. One full run is shared (its
// state is copied into new stand-ins); the tests run side by side.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { evaluate } from '@marcbachmann/cel-js';
import { type Options, plan } from '../../ops/bootstrap/plan.ts';
import { databaseUrlFrom } from '../../ops/bootstrap/run.ts';
import { createGcloud } from '../../ops/gcloud/run.ts';
import type { State } from '../../ops/gcloud/state.ts';
import { ROOT, runCli } from '../standin/cli.ts';
import type { Policy } from '../standin/iam.ts';
import { type Secret, secretValue } from '../standin/secretmanager.ts';
import {
  BOOTSTRAP,
  bootstrapped,
  cloud,
  FULL,
  GITHUB,
  names as n,
  PROJECT,
  PROJECT_NUMBER,
  REPOSITORY_ID,
} from './helpers/cloud.ts';
import { GH, githubStandin } from './helpers/github.ts';

type CloudState = Awaited<ReturnType<typeof bootstrapped>>['state'];
const runtime = `serviceAccount:${n.runtimeSa}`;
const deployer = `serviceAccount:${n.deployerSa}`;
const WORKFLOW = `${GITHUB}/.github/workflows/deploy.yml@refs/heads/main`;
const POOL = `projects/${PROJECT_NUMBER}/locations/global/workloadIdentityPools/github-actions`;
const PRINCIPAL = `principalSet://iam.googleapis.com/${POOL}/attribute.workflow/${REPOSITORY_ID}/production/${WORKFLOW}`;
const CONDITION = `assertion.repository_id == '${REPOSITORY_ID}' && assertion.ref == 'refs/heads/main' && assertion.environment == 'production' && assertion.job_workflow_ref == '${WORKFLOW}'`;

interface Provider {
  attributeCondition?: string;
  attributeMapping: Record<string, string>;
}
/**
 * Security Token Service's exchange of a GitHub token through `provider`, as
 * Google documents it: the mapping's CEL expressions over the claims, then
 * the condition over them; a claim an expression needs and the token lacks
 * refuses it. Resolves the principals the federated token stands for.
 */
function exchange(provider: Provider, claims: Record<string, string>): string[] | undefined {
  const cel = (expression: string, vars: Record<string, unknown>) => {
    try {
      return evaluate(expression, vars);
    } catch {
      return undefined;
    }
  };
  const google: Record<string, unknown> = {};
  const attribute: Record<string, unknown> = {};
  for (const [key, expression] of Object.entries(provider.attributeMapping)) {
    const value = cel(expression, { assertion: claims });
    if (value === undefined) return undefined;
    const [space, name] = key.split('.') as [string, string];
    (space === 'google' ? google : attribute)[name] = value;
  }
  const condition = provider.attributeCondition;
  if (condition && cel(condition, { assertion: claims, google, attribute }) !== true)
    return undefined;
  return [
    `principal://iam.googleapis.com/${POOL}/subject/${google.subject}`,
    ...Object.entries(attribute).map(
      ([a, v]) => `principalSet://iam.googleapis.com/${POOL}/attribute.${a}/${v}`,
    ),
  ];
}

/** Options and inputs for calling plan() directly. */
const OPTIONS: Options = {
  project: PROJECT,
  region: 'europe-west1',
  github: GITHUB,
  service: 'runway',
  keep: 10,
  dryRun: false,
  json: false,
};
const INPUTS = {
  projectNumber: PROJECT_NUMBER,
  repositoryId: REPOSITORY_ID,
  password: '',
  databaseUrl: async () => '',
  pepper: () => '',
  channel: async () => '',
};

/** The roles a member holds in a stored policy, sorted. */
const roles = (state: CloudState, key: string, member: string) =>
  ((state.policies[key] as Policy | undefined)?.bindings ?? [])
    .filter((b) => b.members.includes(member))
    .map((b) => b.role)
    .sort();
const changes = (stdout: string) =>
  Object.fromEntries(
    JSON.parse(stdout).steps.map((s: { id: string; changes: string[] }) => [s.id, s.changes]),
  );

describe('bootstrap', { concurrency: true }, () => {
  it('sets up an empty project in one run, each step changing it', async () => {
    const { result, state } = await bootstrapped();
    assert.equal(result.code, 0, result.stderr);
    const steps = changes(result.stdout);
    assert.deepEqual(
      Object.keys(steps).filter((id) => steps[id].length === 0),
      [],
    );
    const repo = state.repositories[`europe-west1/${n.repository}`];
    assert.equal(repo.format, 'DOCKER');
    assert.equal(repo.cleanupPolicies['keep-recent'].mostRecentVersions.keepCount, 10);
    assert.equal(repo.cleanupPolicies['delete-old'].condition.olderThan, '604800.0s');
    assert.equal(repo.cleanupPolicyDryRun, false);
    assert.deepEqual(Object.keys(state.serviceAccounts).sort(), [n.deployerSa, n.runtimeSa]);
    const instance = state.sql.instances[n.sqlInstance];
    assert.deepEqual(
      [instance.databaseVersion, instance.settings.edition, instance.settings.tier],
      ['POSTGRES_17', 'ENTERPRISE', 'db-f1-micro'],
    );
    assert.ok(state.sql.databases[n.sqlInstance][n.database]);
  });

  it('enables the APIs before it calls any of them', async () => {
    const { calls } = await bootstrapped();
    const enable = calls.findIndex((c) => c.path.endsWith('services:batchEnable'));
    const firstOther = calls.findIndex(
      (c) => !['serviceusage', 'cloudresourcemanager'].includes(c.api),
    );
    assert.ok(
      enable >= 0 && enable < firstOther,
      `enable at ${enable}, first other API call at ${firstOther}`,
    );
  });

  it('grants least privilege: each role on the narrowest resource, nothing broad', async () => {
    const { state, calls } = await bootstrapped();
    assert.deepEqual(roles(state, `projects/${PROJECT}`, runtime), [
      'roles/cloudsql.client',
      'roles/cloudtrace.agent',
      'roles/logging.logWriter',
    ]);
    assert.deepEqual(roles(state, `projects/${PROJECT}`, deployer), [
      'roles/logging.viewer',
      'roles/run.developer',
    ]);
    assert.deepEqual(roles(state, `repositories/europe-west1/${n.repository}`, deployer), [
      'roles/artifactregistry.writer',
    ]);
    assert.deepEqual(roles(state, `serviceAccounts/${n.runtimeSa}`, deployer), [
      'roles/iam.serviceAccountUser',
    ]);
    for (const secret of [n.secret, n.pepper])
      assert.deepEqual(state.policies[`secrets/${secret}`].bindings, [
        { role: 'roles/secretmanager.secretAccessor', members: [runtime] },
      ]);
    assert.deepEqual(state.policies[`serviceAccounts/${n.deployerSa}`].bindings, [
      { members: [PRINCIPAL], role: 'roles/iam.workloadIdentityUser' },
    ]);
    // IAM did not know the runtime account for a moment: the binding was tried again.
    assert.equal(calls.filter((c) => c.path.endsWith(`${n.runtimeSa}:setIamPolicy`)).length, 2);
  });

  it('lets only the deploy workflow of the repository, on main, in production, act as the deployer, through its provider or any other of the pool', async () => {
    const { state } = await bootstrapped();
    const ours: Provider = state.providers[`${n.pool}/${n.provider}`];
    // Another provider of the same pool, as another service's set-up might leave it:
    // any workflow of the repository, on any ref.
    const lax: Provider = {
      attributeCondition: `assertion.repository_id == '${REPOSITORY_ID}'`,
      attributeMapping: {
        ...ours.attributeMapping,
        'attribute.repository_id': 'assertion.repository_id',
      },
    };
    const impersonators = (
      (state.policies[`serviceAccounts/${n.deployerSa}`] as Policy).bindings ?? []
    )
      .filter((b) => b.role === 'roles/iam.workloadIdentityUser')
      .flatMap((b) => b.members);
    const actsAsDeployer = (provider: Provider, claims: Record<string, string>) =>
      (exchange(provider, claims) ?? []).some((p) => impersonators.includes(p));
    // GitHub's token for deploy.yml's job on main (workflow_run and "Run workflow" alike).
    const deployJob = {
      sub: `repo:${GITHUB}:environment:production`,
      repository: GITHUB,
      repository_id: REPOSITORY_ID,
      ref: 'refs/heads/main',
      environment: 'production',
      job_workflow_ref: WORKFLOW,
    };
    assert.equal(actsAsDeployer(ours, deployJob), true, 'the deploy job');
    const { environment: _, ...noEnvironment } = deployJob;
    const attacks: Record<string, Record<string, string>> = {
      '"Run workflow" on another branch': {
        ...deployJob,
        ref: 'refs/heads/wip',
        job_workflow_ref: `${GITHUB}/.github/workflows/deploy.yml@refs/heads/wip`,
      },
      'a tag named main': {
        ...deployJob,
        ref: 'refs/tags/main',
        job_workflow_ref: `${GITHUB}/.github/workflows/deploy.yml@refs/tags/main`,
      },
      'another workflow on main': {
        ...deployJob,
        job_workflow_ref: `${GITHUB}/.github/workflows/ci.yml@refs/heads/main`,
      },
      'a job without the production environment': noEnvironment,
      'a job in another environment': { ...deployJob, environment: 'staging' },
      'a reusable workflow of another repository, called from this one': {
        ...deployJob,
        job_workflow_ref: 'mallory/tools/.github/workflows/deploy.yml@refs/heads/main',
      },
      'another repository of the same name (a new id)': { ...deployJob, repository_id: '1234' },
    };
    for (const [what, claims] of Object.entries(attacks))
      for (const [via, provider] of [
        ['its provider', ours],
        ['another provider of the pool', lax],
      ] as const)
        assert.equal(actsAsDeployer(provider, claims), false, `${what}, through ${via}`);
  });

  it('pins Workload Identity to the repository id, its deploy workflow on main and production, and never makes a key', async () => {
    const { state, calls, result } = await bootstrapped();
    const provider = state.providers[`${n.pool}/${n.provider}`];
    assert.equal(provider.attributeCondition, CONDITION);
    assert.equal(provider.oidc.issuerUri, 'https://token.actions.githubusercontent.com');
    assert.deepEqual(
      calls.filter((c) => /\/keys\b/.test(c.path)),
      [],
    );
    assert.doesNotMatch(result.stdout, /GCP_SA_KEY|keys create|credentials_json/);
  });

  it('stores DATABASE_URL for Cloud SQL in the secret and never prints the password', async () => {
    const { state, result } = await bootstrapped();
    const password = state.sql.users[n.sqlInstance][n.dbUser].password;
    assert.equal(
      secretValue(state.secrets[n.secret] as Secret),
      `postgres://runway:${encodeURIComponent(password)}@/runway?host=/cloudsql/${PROJECT}:europe-west1:runway-pg`,
    );
    assert.ok(!result.stdout.includes(password) && !result.stderr.includes(password));
  });

  it('makes a random API_KEY_PEPPER of 32 bytes through stdin, only when its secret is missing', async () => {
    const { state, result } = await bootstrapped();
    const pepper = secretValue(state.secrets[n.pepper] as Secret);
    assert.equal(Buffer.from(pepper, 'base64url').length, 32);
    assert.ok(!result.stdout.includes(pepper) && !result.stderr.includes(pepper));
    const empty: State = {
      projectNumber: PROJECT_NUMBER,
      apis: [],
      secret: true,
      pepper: false,
      policies: {},
    };
    const inputs = { ...INPUTS, pepper: () => 'generated' };
    const [create, ...others] = plan(empty, OPTIONS, n, inputs).filter((w) => w.step === 'pepper');
    assert.deepEqual(others, []);
    assert.equal(await create?.stdin?.(), 'generated');
    assert.ok(create?.argv?.includes('--data-file=-'));
    const held = plan({ ...empty, pepper: true }, OPTIONS, n, inputs);
    assert.deepEqual(
      held.filter((w) => w.step === 'pepper'),
      [],
    );
  });

  it('prints every variable the deploy workflow reads', async () => {
    const { result } = await bootstrapped();
    const workflow = readFileSync(`${ROOT}.github/workflows/deploy.yml`, 'utf8');
    const read = new Set([...workflow.matchAll(/vars\.([A-Z0-9_]+)/g)].map((m) => m[1] as string));
    read.delete('DEPLOY_ON_PUSH'); // the operator's choice, not a fact of the project
    const printed = Object.keys(JSON.parse(result.stdout).githubVariables);
    assert.deepEqual(
      [...read].filter((v) => !printed.includes(v)),
      [],
    );
  });

  it('changes nothing when run again: it only reads', async () => {
    const s = await cloud((await bootstrapped()).state);
    try {
      const r = await runCli(FULL, s);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(Object.values(changes(r.stdout)).flat(), []);
      assert.deepEqual(s.writes(), []);
    } finally {
      await s.close();
    }
  });

  it('repairs drift, stores an external DATABASE_URL from stdin, and takes back what the options no longer ask for', async () => {
    const s = await cloud((await bootstrapped()).state);
    const st = s.state;
    st.providers[`${n.pool}/${n.provider}`].attributeCondition =
      "assertion.repository_owner == 'acme'";
    st.pools[n.pool].state = 'DELETED';
    st.serviceAccounts[n.runtimeSa].disabled = true;
    st.policies[`projects/${PROJECT}`].bindings.push(
      { role: 'roles/editor', members: [deployer] },
      { role: 'roles/owner', members: [runtime] },
      { role: 'roles/iam.serviceAccountUser', members: [deployer, 'user:alice@example.com'] },
    );
    const wide = `principalSet://iam.googleapis.com/projects/${PROJECT_NUMBER}/locations/global/workloadIdentityPools/github-actions/*`;
    st.policies[`serviceAccounts/${n.deployerSa}`].bindings[0].members.push(wide);
    delete st.secrets[n.secret];
    delete st.policies[`secrets/${n.secret}`];
    const url = 'postgres://app:s3cret@db.example.com:5432/app';
    try {
      const r = await runCli(
        [...BOOTSTRAP, '--github-repo-id', REPOSITORY_ID, '--json'],
        s,
        {},
        undefined,
        url,
      );
      assert.equal(r.code, 0, r.stderr);
      const after = s.state;
      assert.equal(after.pools[n.pool].state, 'ACTIVE');
      assert.equal(after.providers[`${n.pool}/${n.provider}`].attributeCondition, CONDITION);
      assert.equal(after.serviceAccounts[n.runtimeSa].disabled, undefined);
      assert.deepEqual(roles(after, `projects/${PROJECT}`, deployer), [
        'roles/logging.viewer',
        'roles/run.developer',
      ]);
      // Without --with-cloudsql and --with-traces their roles go too.
      assert.deepEqual(roles(after, `projects/${PROJECT}`, runtime), ['roles/logging.logWriter']);
      assert.deepEqual(roles(after, `projects/${PROJECT}`, 'user:alice@example.com'), [
        'roles/iam.serviceAccountUser',
      ]);
      assert.deepEqual(after.policies[`serviceAccounts/${n.deployerSa}`].bindings[0].members, [
        PRINCIPAL,
      ]);
      assert.equal(secretValue(after.secrets[n.secret] as Secret), url);
      assert.deepEqual(roles(after, `secrets/${n.secret}`, runtime), [
        'roles/secretmanager.secretAccessor',
      ]);
      assert.ok(!r.stdout.includes(url));
      assert.deepEqual(
        s.writes().filter((c) => c.api === 'sql'),
        [],
        'the Cloud SQL instance is left alone',
      );
      const steps = changes(r.stdout);
      assert.deepEqual(
        Object.keys(steps).filter((id) => steps[id].length > 0),
        ['accounts', 'database', 'iam', 'wif'],
      );
    } finally {
      await s.close();
    }
  });

  it('with monitoring, puts back what drifted from its file and makes again what was lost', async () => {
    const { state } = await bootstrapped();
    const s = await cloud(state);
    const m = s.state.monitoring;
    const at = (path: string) => m[path.replace('P', PROJECT)];
    const p99 = at('v3/projects/P/alertPolicies').find(
      (p: { displayName: string }) => p.displayName === 'runway: p99 latency above 1 s',
    );
    p99.conditions[0].conditionThreshold.thresholdValue = 5000;
    p99.notificationChannels = [];
    at('v3/projects/P/services/runway/serviceLevelObjectives')[0].goal = 0.9;
    at('v3/projects/P/uptimeCheckConfigs')[0].period = '900s';
    const [lost] = at('v2/projects/P/metrics').splice(0, 1);
    try {
      const r = await runCli(FULL, s);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(changes(r.stdout).monitoring, [
        `create the log-based metric ${lost.name}`,
        'update the uptime check runway-live to probe /live every minute',
        'update the SLO availability to match its file',
        'update the alert policy "runway: p99 latency above 1 s" to match its file',
      ]);
      const byName = (list: Array<{ name: string }>) =>
        list.toSorted((a, b) => a.name.localeCompare(b.name));
      for (const [path, list] of Object.entries(state.monitoring as Record<string, []>))
        assert.deepEqual(byName(s.state.monitoring[path]), byName(list), path);
      // gcloud has no command for SLOs: the API call, naming the fields it sets.
      assert.ok(
        s
          .writes()
          .some(
            (c) => c.method === 'PATCH' && c.path.endsWith('/serviceLevelObjectives/availability'),
          ),
      );
    } finally {
      await s.close();
    }
  });

  it('with Cloud SQL, a lost secret or user gets a new password, set on the user and stored in the secret', async () => {
    const s = await cloud((await bootstrapped()).state);
    const o: Options = { ...OPTIONS, withCloudsql: true };
    const base: State = {
      projectNumber: PROJECT_NUMBER,
      apis: [],
      secret: true,
      pepper: true,
      policies: {},
    };
    const run = async (state: State, password: string) => {
      const inputs = { ...INPUTS, password };
      const writes = plan(state, o, n, inputs).filter((w) => w.step === 'database');
      const gcloud = createGcloud({ env: s.env() });
      for (const w of writes)
        await gcloud.must(w.argv ?? [], { what: w.change, project: PROJECT }, await w.stdin?.());
      return writes.map((w) => w.argv?.slice(0, 3).join(' '));
    };
    try {
      delete s.state.secrets[n.secret];
      const sql = { instance: true, databases: [n.database] };
      assert.deepEqual(
        await run({ ...base, secret: false, sql: { ...sql, users: [n.dbUser] } }, 'first-pw'),
        ['sql users set-password', 'secrets create runway-database-url'],
      );
      assert.equal(s.state.sql.users[n.sqlInstance][n.dbUser].password, 'first-pw');
      assert.match(secretValue(s.state.secrets[n.secret]), /^postgres:\/\/runway:first-pw@/);
      delete s.state.sql.users[n.sqlInstance][n.dbUser];
      assert.deepEqual(await run({ ...base, sql: { ...sql, users: [] } }, 'second-pw'), [
        'sql users create',
        'secrets versions add',
      ]);
      assert.equal(s.state.sql.users[n.sqlInstance][n.dbUser].password, 'second-pw');
      assert.match(
        secretValue(s.state.secrets[n.secret]),
        /^postgres:\/\/runway:second-pw@\/runway\?host=/,
      );
    } finally {
      await s.close();
    }
  });

  it('--dry-run calls nothing and shows what a run does on an empty project', async () => {
    const s = await cloud();
    try {
      const r = await runCli([...FULL, '--dry-run'], s);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(s.calls, []);
      const planned = JSON.parse(r.stdout).steps.map((x: { commands: Array<{ change: string }> }) =>
        x.commands.map((c) => c.change),
      );
      const { result } = await bootstrapped();
      assert.deepEqual(planned, Object.values(changes(result.stdout)));
      // The one write gcloud has no command for is the API call bootstrap makes.
      const commands = JSON.parse(r.stdout).steps.flatMap(
        (x: { commands: { command: string }[] }) => x.commands.map((c) => c.command),
      );
      assert.ok(
        commands.includes(
          `POST https://monitoring.googleapis.com/v3/projects/${PROJECT}/services?serviceId=runway`,
        ),
      );
    } finally {
      await s.close();
    }
  });

  it('stops at the first failure with one line: what, why, the fix', async () => {
    const s = await cloud();
    try {
      // gcloud tries for half a minute to reach a proxy that is not there.
      const r = await runCli([...BOOTSTRAP, '--github-repo-id', REPOSITORY_ID], s, {
        CLOUDSDK_PROXY_PORT: '1',
      });
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr.split('\n')[0],
        `x apis: read project ${PROJECT} failed: gcloud could not reach Google Cloud. Fix: check the network and any proxy, then run it again (gcloud info --run-diagnostics tests the connection)`,
      );
    } finally {
      await s.close();
    }
  });

  it('without --github-repo-id and without gh, names both ways on', async () => {
    const s = await cloud();
    try {
      const r = await runCli(BOOTSTRAP, s, { PATH: '/nonexistent' });
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /gh \(GitHub CLI\) is not on PATH\. Either install gh \(https:\/\/cli\.github\.com\) and run gh auth login, or pass --github-repo-id/,
      );
      assert.deepEqual(s.calls, []);
    } finally {
      await s.close();
    }
  });

  it('without --github-repo-id, asks gh for the repository id', {
    skip: !GH && 'gh is not installed',
  }, async () => {
    const s = await cloud();
    const github = await githubStandin({ [GITHUB]: Number(REPOSITORY_ID) });
    try {
      // The PATH holds gh only: bootstrap stops at its first gcloud call.
      const found = await runCli(BOOTSTRAP, s, github.env);
      assert.match(found.stdout, new RegExp(`GitHub ${GITHUB} \\(id ${REPOSITORY_ID}\\)`));
      assert.match(found.stderr, /gcloud is not installed/);
      const missing = await runCli([...BOOTSTRAP.slice(0, -1), 'acme/gone'], s, github.env);
      assert.equal(missing.code, 2);
      assert.match(
        missing.stderr,
        /gh api repos\/acme\/gone failed: .*404.*or pass --github-repo-id/s,
      );
    } finally {
      await github.close();
      await s.close();
    }
  });

  it('takes from stdin only a DATABASE_URL the app would accept, and hands it to gcloud on stdin', async () => {
    const url = 'postgres://app:pw@db:5432/app';
    const empty: State = {
      projectNumber: PROJECT_NUMBER,
      apis: [],
      secret: false,
      pepper: false,
      policies: {},
    };
    const inputs = { ...INPUTS, databaseUrl: async () => url };
    const [secret, ...others] = plan(empty, OPTIONS, n, inputs).filter(
      (w) => w.step === 'database',
    );
    assert.deepEqual(others, []);
    assert.equal(await secret?.stdin?.(), url);
    assert.ok(
      secret?.argv?.includes('--data-file=-') && !secret.argv.some((a) => a.includes('postgres')),
    );
    assert.equal(databaseUrlFrom(` ${url}\n`), url);
    for (const bad of ['', 'mysql://app@db/app']) {
      assert.throws(
        () => databaseUrlFrom(bad),
        /^Error: DATABASE_URL on stdin must be a postgres:\/\/ URL \(e\.g\. postgres:\/\/USER:PASSWORD@HOST:5432\/DB\); run: printf/,
      );
    }
  });

  it('refuses bad flags with exit 2 and a line naming the flag', async () => {
    const s = await cloud();
    const cases: Array<[string[], RegExp]> = [
      [['bootstrap', '--region', 'europe-west1', '--github', GITHUB], /--project is required/],
      [
        [...BOOTSTRAP, '--github-repo-id', 'abc'],
        /--github-repo-id must be the numeric repository id/,
      ],
      [
        ['bootstrap', '--project', 'Bad_Project', '--region', 'europe-west1', '--github', GITHUB],
        /is not a project ID/,
      ],
      [[...BOOTSTRAP, '--keep', '0'], /--keep must be an integer from 1 to 1000/],
      [[...BOOTSTRAP, '--set-github'], /Unknown option '--set-github'/],
      [[...BOOTSTRAP, '--with-monitoring'], /--with-monitoring and --notify go together/],
      [[...BOOTSTRAP, '--notify', 'oncall'], /--with-monitoring and --notify go together/],
      [
        [...BOOTSTRAP, '--with-monitoring', '--notify', 'a@b.io', '--service', 'api'],
        /--with-monitoring watches the service runway/,
      ],
    ];
    try {
      for (const [argv, message] of cases) {
        const r = await runCli(argv, s);
        assert.equal(r.code, 2, argv.join(' '));
        assert.match(r.stderr, message);
      }
      assert.deepEqual(s.calls, []);
    } finally {
      await s.close();
    }
  });
});
