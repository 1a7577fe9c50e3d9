// bootstrap: reads the project, enables the APIs, reads what exists, then
// runs the plan's writes in order and reports each step. A second run finds
// nothing to write. --dry-run prints the plan for an empty project and calls
// nothing.
import { randomBytes } from 'node:crypto';
import { ConfigSchema } from '../../src/config/env.ts';
import { emailChannel, listChannels } from '../gcloud/monitoring.ts';
import { MONITORING_API, monitoringRest } from '../gcloud/rest.ts';
import { createGcloud, type Env, GcloudError, shellJoin } from '../gcloud/run.ts';
import { readProject, readState, type State } from '../gcloud/state.ts';
import { deriveNames, requiredApis } from '../names.ts';
import { EXIT, type IO, printJson, readSecret, redact } from '../output.ts';
import { githubVariables, repositoryId } from './github.ts';
import {
  type Inputs,
  type Options,
  plan,
  planApis,
  STEPS,
  type StepId,
  type Write,
} from './plan.ts';

export interface BootstrapIO extends IO {
  env: Env;
  cwd?: string;
  /** The DATABASE_URL of a PostgreSQL outside Cloud SQL (default: stdin, never echoed). */
  readSecret?: () => Promise<string>;
  /** Base delay between tries of a binding that names a just-created account (default 2 s). */
  retryDelayMs?: number;
}

const EMPTY: State = {
  projectNumber: 'PROJECT_NUMBER',
  apis: [],
  secret: false,
  pepper: false,
  policies: {},
};
const URL_RULE = ConfigSchema.properties.DATABASE_URL;

/** The DATABASE_URL bootstrap reads from stdin, held to the app's own rule for it. */
export function databaseUrlFrom(text: string): string {
  const url = text.trim();
  if (new RegExp(URL_RULE.pattern ?? '').test(url)) return url;
  throw new Error(
    `DATABASE_URL on stdin ${URL_RULE.errorMessage} (e.g. ${URL_RULE.examples[0]}); run: printf %s "$DATABASE_URL" | npm run runway -- bootstrap ..., or pass --with-cloudsql`,
  );
}

export async function runBootstrap(o: Options, io: BootstrapIO): Promise<number> {
  const n = deriveNames(o.project, o.region, o.service, o.zone);
  const inputs: Inputs = {
    projectNumber: EMPTY.projectNumber,
    repositoryId:
      o.githubRepoId ?? (o.dryRun ? 'REPOSITORY_ID' : await repositoryId(o.github, io.env)),
    // base64url needs no escaping in a URL.
    password: o.dryRun ? '<generated>' : randomBytes(24).toString('base64url'),
    databaseUrl: async () =>
      databaseUrlFrom(await (io.readSecret?.() ?? readSecret('DATABASE_URL (not echoed): '))),
    // 32 random bytes; base64url keeps it printable for the env variable.
    pepper: () => randomBytes(32).toString('base64url'),
    channel: async () => '<the channel created above>',
  };
  if (o.dryRun) return dryRun(o, [...planApis([], o), ...plan(EMPTY, o, n, inputs)], io);
  const say = (line: string) => o.json || io.stdout(redact(line, [inputs.password]));
  say(
    `runway bootstrap: project ${o.project}, region ${o.region}, service ${o.service}, GitHub ${o.github} (id ${inputs.repositoryId})`,
  );

  const g = createGcloud({ env: io.env, cwd: io.cwd });
  const rest = monitoringRest(g);
  inputs.channel = async () => {
    const channel = emailChannel(await listChannels(g, n), o.notify);
    if (!channel)
      throw new Error(`no notification channel for ${o.notify} was found after creating it`);
    return channel.name;
  };
  const done: Write[] = [];
  let step: StepId = 'apis';
  const write = async (w: Write) => {
    step = w.step;
    const stdin = await w.stdin?.();
    // IAM can take seconds to know an account created a moment ago.
    for (let attempt = 1; ; attempt++) {
      try {
        const context = { what: w.change, project: o.project };
        await (w.rest ? rest(w.rest, context) : g.must(w.argv ?? [], context, stdin));
        return done.push(w);
      } catch (err) {
        const kind = err instanceof GcloudError ? err.failure.kind : '';
        const racing =
          !!w.argv?.includes('add-iam-policy-binding') && /not-found|bad-arguments/.test(kind);
        if (!racing || attempt === 5) throw err;
        await new Promise((r) => setTimeout(r, (io.retryDelayMs ?? 2000) * attempt));
      }
    }
  };
  try {
    const project = await readProject(g, n);
    inputs.projectNumber = project.projectNumber;
    for (const w of planApis(project.apis, o)) await write(w);
    step = 'registry';
    const state = await readState(
      g,
      n,
      { ...project, apis: requiredApis(o) },
      { sql: o.withCloudsql, ...(o.withMonitoring ? { monitoring: rest } : {}) },
    );
    for (const w of plan(state, o, n, inputs)) await write(w);
  } catch (err) {
    const line = redact(err instanceof GcloudError ? err.line : (err as Error).message, [
      inputs.password,
    ]);
    if (o.json) printJson(io, { ok: false, failedStep: step, error: line, steps: report(o, done) });
    else
      io.stderr(
        `x ${step}: ${line}\n  Then run the same bootstrap command again: it carries on from what exists.`,
      );
    return EXIT.failure;
  }

  const vars = githubVariables(o, n, inputs.projectNumber);
  if (o.json) {
    printJson(io, {
      ok: true,
      projectNumber: inputs.projectNumber,
      steps: report(o, done),
      githubVariables: vars,
    });
    return EXIT.ok;
  }
  for (const s of report(o, done))
    say(`${s.changes.length ? '+' : '='} ${s.id.padEnd(9)}${s.changes.join('; ') || 'unchanged'}`);
  say(`\nSet the variables of the deploy workflow in ${o.github}:`);
  for (const [k, v] of Object.entries(vars))
    say(`  gh variable set ${k} --repo ${o.github} --body ${shellJoin([v])}`);
  say(`Then deploy: gh workflow run ${o.vm ? 'deploy-vm.yml' : 'deploy.yml'} --repo ${o.github}`);
  return EXIT.ok;
}

/** The steps asked for: vm only for --target vm, monitoring only with --with-monitoring. */
const stepsOf = (o: Options) =>
  Object.entries(STEPS).filter(
    ([id]) => (o.vm || id !== 'vm') && (o.withMonitoring || id !== 'monitoring'),
  );

function report(o: Options, done: Write[]) {
  return stepsOf(o).map(([id, title]) => ({
    id,
    title,
    changes: done.filter((w) => w.step === id).map((w) => w.change),
  }));
}

function dryRun(o: Options, writes: Write[], io: IO): number {
  const steps = stepsOf(o).map(([id, title]) => ({
    id,
    title,
    commands: writes
      .filter((w) => w.step === id)
      .map((w) => ({
        change: w.change,
        // gcloud has no command for the SLOs: the API call, with gcloud's token.
        command: w.rest
          ? `${w.rest.method} ${new URL(w.rest.path, MONITORING_API)}`
          : shellJoin(['gcloud', ...(w.argv ?? [])]),
        stdin: !!w.stdin,
      })),
  }));
  if (o.json) {
    printJson(io, { ok: true, dryRun: true, steps });
    return EXIT.ok;
  }
  io.stdout(
    'runway bootstrap --dry-run calls nothing. On an empty project a run writes what follows; each command runs only when what it reads first (as JSON) lacks what the command makes.',
  );
  for (const s of steps) {
    io.stdout(`\n${s.id}: ${s.title}`);
    for (const c of s.commands)
      io.stdout(
        `  # ${c.change}${c.stdin ? " (its value goes through gcloud's stdin)" : ''}\n  ${c.command}`,
      );
  }
  return EXIT.ok;
}
