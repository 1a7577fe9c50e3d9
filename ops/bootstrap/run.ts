// Runs the bootstrap steps in order, or prints them with --dry-run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGcloud, type Env, GcloudError, shellJoin } from '../gcloud/run.ts';
import { deriveNames } from '../names.ts';
import { EXIT, type IO, printJson, redact, statusMark } from '../output.ts';
import { bootstrapSteps, buildPlan } from './plan.ts';
import type { BootstrapOptions, PlanInput, StepOutcome } from './step.ts';
import { generatePassword } from './steps/cloudsql.ts';
import { cleanupPolicy } from './steps/registry.ts';

export interface BootstrapIO extends IO {
  env: Env;
  /** Base delay between retries of IAM bindings on a just-created account. */
  retryDelayMs?: number;
}

interface StepReport extends StepOutcome {
  id: string;
  title: string;
}

export async function runBootstrap(opts: BootstrapOptions, io: BootstrapIO): Promise<number> {
  const names = deriveNames(opts.project, opts.region, opts.service);
  if (opts.dryRun) return printPlan(opts, io);

  const tmp = mkdtempSync(join(tmpdir(), 'runway-bootstrap-'));
  const password = generatePassword();
  const input: PlanInput = {
    opts,
    names,
    projectNumber: '',
    policyFile: join(tmp, 'cleanup-policy.json'),
    password,
  };
  writeFileSync(input.policyFile, JSON.stringify(cleanupPolicy(opts.keep), null, 2));
  const gcloud = createGcloud({ env: io.env });
  const outputs: Record<string, unknown> = {};
  const reports: StepReport[] = [];
  const say = (line: string) => {
    if (!opts.json) io.stdout(redact(line, [password]));
  };

  say(
    `runway bootstrap: project ${opts.project}, region ${opts.region}, service ${opts.service}, GitHub ${opts.github}`,
  );
  try {
    for (const step of bootstrapSteps(opts)) {
      let outcome: StepOutcome;
      try {
        outcome = await step.apply({
          input,
          gcloud,
          env: io.env,
          retryDelayMs: io.retryDelayMs ?? 2000,
          outputs,
        });
      } catch (err) {
        return fail(err, step.id, step.title);
      }
      reports.push({ id: step.id, title: step.title, ...outcome });
      const detail = outcome.changes.length ? `: ${outcome.changes.join('; ')}` : '';
      say(`${statusMark(outcome.status)} ${step.id.padEnd(16)} ${outcome.status}${detail}`);
      for (const note of outcome.notes ?? []) say(`  note: ${note}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const vars = (outputs.githubVariables ?? {}) as Record<string, string>;
  const changed = reports.filter((r) => r.status !== 'unchanged').length;
  if (opts.json) {
    printJson(io, {
      ok: true,
      command: 'bootstrap',
      project: opts.project,
      projectNumber: input.projectNumber,
      region: opts.region,
      service: opts.service,
      changed,
      steps: reports,
      githubVariables: vars,
    });
    return EXIT.ok;
  }
  say(
    changed === 0
      ? '\nNothing to change: the project is already set up.'
      : `\n${changed} step(s) changed the project.`,
  );
  say(`\nGitHub variables for the deploy workflow (repository ${opts.github}):`);
  for (const [k, v] of Object.entries(vars)) say(`  ${k}=${v}`);
  if (!opts.setGithub) {
    say('\nSet them with:');
    for (const [k, v] of Object.entries(vars))
      say(`  gh variable set ${k} --body ${shellJoin([v])} --repo ${opts.github}`);
  }
  say(`\nThen deploy: gh workflow run deploy.yml --repo ${opts.github}`);
  return EXIT.ok;

  function fail(err: unknown, stepId: string, title: string): number {
    const failure =
      err instanceof GcloudError
        ? err.failure
        : { kind: 'error', what: title, why: (err as Error).message, fix: '', command: '' };
    const safe = {
      ...failure,
      why: redact(failure.why, [password]),
      command: redact(failure.command, [password]),
    };
    if (opts.json) {
      printJson(io, {
        ok: false,
        command: 'bootstrap',
        project: opts.project,
        failedStep: stepId,
        error: safe,
        steps: [...reports, { id: stepId, title, status: 'failed', changes: [] }],
      });
    } else {
      io.stderr(`x ${stepId}: ${safe.what} failed`);
      io.stderr(`  why: ${safe.why}`);
      if (safe.fix) io.stderr(`  fix: ${safe.fix}`);
      io.stderr('  then re-run the same bootstrap command: finished steps are skipped.');
    }
    return EXIT.failure;
  }
}

function printPlan(opts: BootstrapOptions, io: IO): number {
  const names = deriveNames(opts.project, opts.region, opts.service);
  const input: PlanInput = {
    opts,
    names,
    projectNumber: 'PROJECT_NUMBER',
    policyFile: 'cleanup-policy.json',
    password: '<generated>',
  };
  const plan = buildPlan(input);
  const policy = cleanupPolicy(opts.keep);
  if (opts.json) {
    printJson(io, {
      ok: true,
      command: 'bootstrap',
      dryRun: true,
      project: opts.project,
      region: opts.region,
      service: opts.service,
      cleanupPolicyFile: policy,
      steps: plan.map((s) => ({
        ...s,
        commands: s.commands.map(({ secretArgs: _s, ...c }) => ({
          ...c,
          command: shellJoin([c.tool, ...c.argv]),
        })),
      })),
    });
    return EXIT.ok;
  }
  io.stdout(
    `runway bootstrap --dry-run: nothing is changed. Each step reads state, then runs only what is missing.`,
  );
  io.stdout(
    `(PROJECT_NUMBER is read by the first step; cleanup-policy.json is written to a temporary directory.)\n`,
  );
  plan.forEach((s, i) => {
    io.stdout(`${i + 1}. ${s.id}: ${s.title}`);
    for (const c of s.commands) {
      io.stdout(`   # ${c.when}${c.stdin ? `; stdin: ${c.stdin}` : ''}`);
      io.stdout(`   ${shellJoin([c.tool, ...c.argv])}`);
    }
  });
  io.stdout(`\ncleanup-policy.json:\n${JSON.stringify(policy, null, 2)}`);
  return EXIT.ok;
}
