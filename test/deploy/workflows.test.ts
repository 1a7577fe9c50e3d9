// The GitHub workflows: doctor's rules for them and the deploy scripts (images
// by SHA or digest, deploys and migrations awaited), schema, pinning,
// permissions, the order of the deploy steps (which is what keeps traffic
// safe), and that DEPLOYMENT.md documents every variable and secret they read.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
    const [checkout, build, rollout, ...rest] = deployVm.jobs.deploy.steps as Array<
      Step & { env?: Record<string, string> }
    >;
    assert.match(checkout?.uses ?? '', /^actions\/checkout@/);
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
    assert.equal(deploySteps[0]?.with?.ref, expr('env.GIT_SHA'));
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
