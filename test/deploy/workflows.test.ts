// The GitHub workflows: doctor's rules for them and the deploy scripts (images
// by SHA or digest, deploys and migrations awaited), schema, pinning,
// permissions, the order of the deploy steps (which is what keeps traffic
// safe), and that DEPLOYMENT.md documents every variable and secret they read.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { offlineFindings } from '../../ops/doctor/run.ts';
import { repoRoot } from './helpers/scenario.ts';

const WORKFLOWS = ['ci.yml', 'deploy.yml', 'deploy-vm.yml'].map((f) =>
  path.join(repoRoot, '.github', 'workflows', f),
);
/** The build both deploy workflows share. */
const BUILD = path.join(repoRoot, '.github', 'actions', 'build-image', 'action.yml');
const text = (f: string) => readFileSync(f, 'utf8');
const deployFile = WORKFLOWS[1] as string;
const deploy = parse(text(deployFile));
const ci = parse(text(WORKFLOWS[0] as string));
type Step = {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  'continue-on-error'?: unknown;
};
const deploySteps: Step[] = deploy.jobs.deploy.steps;
const deployVm = parse(text(WORKFLOWS[2] as string));
const buildSteps: Step[] = parse(text(BUILD)).runs.steps;
/** A GitHub expression as it stands in a workflow: ${{ ... }}. */
const expr = (e: string) => `\${{ ${e} }}`;

describe('workflows', () => {
  it("pass doctor's image and wait rules, with the deploy scripts (pitfalls 5 and 6)", async () => {
    assert.deepEqual(await offlineFindings(repoRoot, [5, 6]), []);
  });

  it('pass the GitHub workflow and action schema check (action-validator)', () => {
    const bin = path.join(repoRoot, 'node_modules', '.bin', 'action-validator');
    for (const f of [...WORKFLOWS, BUILD]) {
      const r = spawnSync(bin, [f], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, `${path.basename(f)}: ${r.stdout}${r.stderr}`);
    }
  });

  it("pin every action to a full commit SHA with the version in a comment (the repository's own come with the checkout)", () => {
    for (const f of [...WORKFLOWS, BUILD]) {
      const uses = text(f)
        .split('\n')
        .filter((l) => /^\s*(-\s*)?uses:/.test(l) && !/uses: \.\/\.github\/actions\//.test(l));
      assert.ok(uses.length > 0);
      for (const l of uses)
        assert.match(l, /uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/, l.trim());
    }
  });

  it('grant least privilege and cancel superseded CI runs, but never a running deploy', () => {
    assert.deepEqual(ci.permissions, { contents: 'read' });
    for (const w of [deploy, deployVm]) {
      assert.deepEqual(w.permissions, { contents: 'read', 'id-token': 'write' });
      assert.equal(w.concurrency['cancel-in-progress'], false);
      // One group per service: a Cloud Run deploy and a VM rollout of it queue too.
      assert.equal(w.concurrency.group, deploy.concurrency.group);
    }
    assert.equal(ci.concurrency['cancel-in-progress'], true);
    assert.match(deploy.concurrency.group, /CLOUD_RUN_SERVICE/);
    for (const w of [ci, deploy, deployVm])
      for (const job of Object.values<{ permissions?: unknown }>(w.jobs))
        assert.equal(job.permissions, undefined);
  });

  it('CI runs .ci/checks: lint, typecheck, tests against PostgreSQL, the container test', () => {
    const runs = Object.values<{ steps: Step[] }>(ci.jobs).flatMap((j) =>
      j.steps.map((s) => s.run ?? ''),
    );
    assert.ok(runs.includes('.ci/checks'), runs.join(' | '));
    const checks = readFileSync(path.join(repoRoot, '.ci', 'checks'), 'utf8').split('\n');
    for (const cmd of ['npm run lint', 'npm run typecheck', 'npm test', 'npm run test:container'])
      assert.ok(checks.includes(cmd), cmd);
    for (const job of Object.values<{ services?: { postgres?: { image: string } } }>(ci.jobs)) {
      assert.match(job.services?.postgres?.image ?? '', /^postgres:/);
    }
  });

  it('deploy authenticates only through Workload Identity Federation', () => {
    const auth = (steps: Step[]) =>
      steps.filter((s) => s.uses?.startsWith('google-github-actions/auth@'));
    assert.ok(auth(deploySteps).length >= 1 && auth(buildSteps).length === 1);
    for (const s of auth(deploySteps)) {
      assert.equal(s.with?.workload_identity_provider, expr('vars.GCP_WORKLOAD_IDENTITY_PROVIDER'));
      assert.equal(s.with?.credentials_json, undefined);
    }
    for (const s of auth(buildSteps)) {
      assert.equal(s.with?.workload_identity_provider, expr('inputs.workload_identity_provider'));
      assert.equal(s.with?.credentials_json, undefined);
    }
    // Both deploy workflows build with the shared steps, handing them the WIF provider.
    for (const steps of [deploySteps, deployVm.jobs.deploy.steps as Step[]]) {
      const build = steps.find((s) => s.id === 'build');
      assert.equal(build?.uses, './.github/actions/build-image');
      assert.equal(
        build?.with?.workload_identity_provider,
        expr('vars.GCP_WORKLOAD_IDENTITY_PROVIDER'),
      );
    }
  });

  it('deploy-vm rolls the VM to the pushed digest once the build passed', () => {
    const [, , , build, rollout, ...rest] = deployVm.jobs.deploy.steps as Array<
      Step & { env?: Record<string, string> }
    >;
    assert.equal(build?.id, 'build');
    assert.equal(rollout?.if, undefined);
    assert.equal(rollout?.env?.IMAGE, expr('steps.build.outputs.image'));
    assert.match(rollout?.run ?? '', /runway -- deploy --target vm\b/);
    assert.deepEqual(rest, []);
    assert.match(deployVm.jobs.deploy.if, /github\.event\.workflow_run\.conclusion == 'success'/);
  });

  it('deploy builds, migrates, deploys with no traffic, smoke-tests, then promotes, each only if everything before passed', () => {
    const order = ['build', 'migrate', 'revision', 'smoke', 'promote'];
    const idx = order.map((id) => deploySteps.findIndex((s) => s.id === id));
    assert.ok(
      idx.every((i) => i >= 0),
      JSON.stringify(idx),
    );
    assert.deepEqual(
      [...idx].sort((a, b) => a - b),
      idx,
      'steps out of order',
    );
    for (const id of order) {
      const s = deploySteps.find((x) => x.id === id) as Step;
      assert.equal(s.if, undefined, `${id} must run only when all earlier steps passed`);
      assert.equal(s['continue-on-error'], undefined, `${id} must stop the job on failure`);
      if (id !== 'build') assert.match(s.run ?? '', new RegExp(`runway -- deploy --step ${id}\\b`));
    }
    for (const id of ['migrate', 'revision']) {
      const s = deploySteps.find((x) => x.id === id) as Step & { env?: Record<string, string> };
      assert.equal(
        s.env?.IMAGE,
        expr('steps.build.outputs.image'),
        `${id} deploys the pushed digest`,
      );
    }
    const summary = deploySteps.at(-1) as Step;
    assert.equal(summary.if, 'always()');
    assert.match(summary.run ?? '', /runway -- deploy --step summary\b/);
  });

  it('deploy on push waits for CI to pass on that commit, and deploys that commit', () => {
    assert.deepEqual(deploy.on.workflow_run.workflows, [ci.name]);
    assert.match(deploy.jobs.deploy.if, /github\.event\.workflow_run\.conclusion == 'success'/);
    assert.equal(
      deploy.jobs.deploy.env.GIT_SHA,
      expr('github.event.workflow_run.head_sha || github.sha'),
    );
  });

  // A deploy holds the deployer's credentials: what it builds must be a commit on
  // main, and what it runs must be main's own tooling.
  for (const [file, w] of [
    ['deploy.yml', deploy],
    ['deploy-vm.yml', deployVm],
  ] as const) {
    const job = w.jobs.deploy;
    const steps: Step[] = job.steps;
    const onPush = (v: string) => (v === 'deploy.yml' ? 'DEPLOY_ON_PUSH' : 'DEPLOY_VM_ON_PUSH');

    it(`${file} runs for main's pushes in this repository and "Run workflow" on main, and for nothing else`, () => {
      // The job's condition, evaluated as GitHub would on each event's context.
      const runs = (github: Record<string, unknown>) =>
        // A missing property is null to GitHub, as optional chaining makes it here.
        new Function('github', 'vars', `return (${job.if.replace(/(\w)\.(\w)/g, '$1?.$2')});`)(
          { repository: 'acme/runway', ...github },
          { [onPush(file)]: 'true' },
        ) as boolean;
      const ciRun = (over: Record<string, unknown> = {}) => ({
        event_name: 'workflow_run',
        ref: 'refs/heads/main',
        event: {
          workflow_run: {
            event: 'push',
            conclusion: 'success',
            head_branch: 'main',
            head_repository: { full_name: 'acme/runway' },
            ...over,
          },
        },
      });
      assert.equal(runs(ciRun()), true, "CI passed on a push to this repository's main");
      assert.equal(runs({ event_name: 'workflow_dispatch', ref: 'refs/heads/main' }), true);
      const refused: Record<string, Record<string, unknown>> = {
        "a fork's pull request from its branch main": ciRun({
          event: 'pull_request',
          head_repository: { full_name: 'mallory/runway' },
        }),
        "another repository's push run": ciRun({
          head_repository: { full_name: 'mallory/runway' },
        }),
        'CI failed': ciRun({ conclusion: 'failure' }),
        '"Run workflow" on a branch': { event_name: 'workflow_dispatch', ref: 'refs/heads/wip' },
        '"Run workflow" on a tag named main': {
          event_name: 'workflow_dispatch',
          ref: 'refs/tags/main',
        },
      };
      for (const [what, github] of Object.entries(refused)) assert.equal(runs(github), false, what);
    });

    it(`${file} checks that the commit is on main before any of its code runs, and runs main's tooling`, () => {
      const [tooling, check, release, ...rest] = steps;
      // The workflow's own commit (main's, for both events), with main's history.
      assert.match(tooling?.uses ?? '', /^actions\/checkout@/);
      assert.deepEqual(tooling?.with, {
        ref: expr('github.sha'),
        'fetch-depth': 0,
        'persist-credentials': false,
      });
      assert.equal(check?.run, 'git merge-base --is-ancestor "$GIT_SHA" refs/remotes/origin/main');
      assert.equal(check?.if, undefined);
      // The commit under deploy goes aside, and is only the image's build context.
      assert.match(release?.uses ?? '', /^actions\/checkout@/);
      assert.deepEqual(release?.with, {
        ref: expr('env.GIT_SHA'),
        path: 'release',
        'persist-credentials': false,
      });
      const build = rest.find((s) => s.id === 'build');
      assert.equal(build?.uses, './.github/actions/build-image');
      assert.equal(build?.with?.source, 'release');
      for (const s of rest) assert.doesNotMatch(s.run ?? '', /release/, s.name);
      assert.equal(job.environment, 'production');
    });
  }

  it("the build's context is the commit under deploy; the action's own steps run main's", () => {
    const build = buildSteps.find((s) => s.id === 'build');
    assert.match(build?.run ?? '', /^docker build .*\n.* --tag "\$image" "\$SOURCE"$/m);
    assert.equal((build as { env?: Record<string, string> })?.env?.SOURCE, expr('inputs.source'));
    for (const s of buildSteps)
      if (s !== build)
        assert.doesNotMatch(`${s.run ?? ''}${JSON.stringify(s.with ?? {})}`, /SOURCE|source/);
  });

  it("the check refuses a commit that a tag named main (or a branch named origin/main) points at, and passes main's", () => {
    const check = deploySteps.find((s) => s.name === 'Check that the commit is on main');
    const dir = mkdtempSync(path.join(tmpdir(), 'runway-on-main-'));
    const git = (cwd: string, ...args: string[]) => {
      const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        cwd,
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    const origin = path.join(dir, 'origin');
    const work = path.join(dir, 'work');
    mkdirSync(origin);
    mkdirSync(work);
    git(origin, 'init', '-q', '-b', 'main');
    git(origin, 'commit', '-q', '--allow-empty', '-m', 'first');
    const old = git(origin, 'rev-parse', 'HEAD');
    git(origin, 'commit', '-q', '--allow-empty', '-m', 'reviewed');
    const head = git(origin, 'rev-parse', 'HEAD');
    // The attack: a commit off main whose CI passes, under a tag and a branch named like main.
    git(origin, 'checkout', '-q', '-b', 'evil', old);
    git(origin, 'commit', '-q', '--allow-empty', '-m', 'unreviewed');
    const evil = git(origin, 'rev-parse', 'HEAD');
    git(origin, 'tag', 'main', evil);
    git(origin, 'branch', 'origin/main', evil);
    // As actions/checkout leaves it with fetch-depth 0: every branch and tag, main's commit checked out.
    git(work, 'init', '-q');
    git(work, 'remote', 'add', 'origin', origin);
    git(
      work,
      'fetch',
      '-q',
      'origin',
      '+refs/heads/*:refs/remotes/origin/*',
      '+refs/tags/*:refs/tags/*',
    );
    git(work, 'checkout', '-q', '--detach', head);
    const run = (sha: string) =>
      spawnSync('bash', ['-e', '-c', check?.run ?? 'false'], {
        cwd: work,
        env: { ...process.env, GIT_SHA: sha },
        encoding: 'utf8',
      }).status;
    assert.equal(run(head), 0, "main's head");
    assert.equal(run(old), 0, 'an older commit of main');
    assert.notEqual(run(evil), 0, 'the commit under the tag named main');
    assert.notEqual(run('0'.repeat(40)), 0, 'a commit not fetched at all');
  });

  it('reads secrets only in jobs of the production environment, and DEPLOYMENT.md sets them there, with an expiry', () => {
    const doc = readFileSync(path.join(repoRoot, 'DEPLOYMENT.md'), 'utf8');
    for (const w of [ci, deploy, deployVm])
      for (const job of Object.values<{ environment?: string; steps: unknown[] }>(w.jobs)) {
        const secrets = [...JSON.stringify(job).matchAll(/secrets\.([A-Z0-9_]+)/g)].map(
          (m) => m[1],
        );
        if (secrets.length === 0) continue;
        // A repository secret is readable by any branch's workflows; an environment's only by its jobs.
        assert.equal(job.environment, 'production', secrets.join());
        for (const name of secrets)
          assert.match(doc, new RegExp(`gh secret set ${name} --env production`), name);
      }
    assert.match(doc, /keys create --name smoke --scopes [\w:,]+ --expires-in \d+d/);
  });

  it('reads only variables and secrets that DEPLOYMENT.md documents', () => {
    const doc = readFileSync(path.join(repoRoot, 'DEPLOYMENT.md'), 'utf8');
    const names = new Set<string>();
    for (const f of [...WORKFLOWS, BUILD])
      for (const m of text(f).matchAll(/\b(vars|secrets)\.([A-Za-z0-9_]+)/g))
        names.add(m[2] as string);
    assert.ok(names.size >= 8, [...names].join(','));
    for (const n of names) {
      if (n === 'GITHUB_TOKEN') continue;
      assert.match(doc, new RegExp(`\`${n}\``), `${n} is not documented in DEPLOYMENT.md`);
    }
  });
});
