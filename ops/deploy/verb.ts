// `runway deploy`: the deploy's steps as one verb. The workflow runs one step
// per workflow step, so its log is the audit trail; a laptop runs them all in
// order. Step outputs go to $GITHUB_OUTPUT and the summary to
// $GITHUB_STEP_SUMMARY when they are set.
import { appendFileSync } from 'node:fs';
import pkg from '../../package.json' with { type: 'json' };
import * as args from '../args.ts';
import { createGcloud, type Env, GcloudError } from '../gcloud/run.ts';
import { DEFAULT_SERVICE, deriveNames } from '../names.ts';
import { EXIT, type IO, printJson } from '../output.ts';
import { DeployFailure } from './logs.ts';
import { migrate } from './migrate.ts';
import { promote } from './promote.ts';
import { deployRevision } from './revision.ts';
import { declaration, type Target } from './service.ts';
import { smokeTest } from './smoke.ts';
import { summarize } from './summary.ts';
import { rollVm, vmSummary } from './vm.ts';

const STEPS = ['migrate', 'revision', 'smoke', 'promote', 'summary'];
/** The flags each step needs; a run of all steps gets url and revision from the revision step. */
const NEEDS: Record<string, string[]> = {
  migrate: ['project', 'region', 'image', 'sha'],
  revision: ['project', 'region', 'image', 'sha'],
  smoke: ['url'],
  promote: ['project', 'region', 'revision'],
  summary: ['project', 'region'],
};
const FORMS: Record<string, [RegExp, string]> = {
  step: [new RegExp(`^(${STEPS.join('|')})$`), `one of ${STEPS.join(', ')}`],
  image: [
    /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$/,
    'the pushed image by digest (REGION-docker.pkg.dev/PROJECT/REPO/NAME@sha256:...)',
  ],
  sha: [/^[0-9a-f]{40}$/, 'the full 40-character commit SHA (git rev-parse HEAD)'],
  'revision-suffix': [/^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/, '1-20 lowercase letters, digits, -'],
  'cloudsql-instance': [/^[a-z][a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]+$/, 'PROJECT:REGION:INSTANCE'],
  'ready-timeout': [/^[1-9]\d*$/, 'a whole number of seconds'],
  target: [/^(cloud-run|vm)$/, 'cloud-run or vm'],
};
const FLAGS = args.flags(
  [
    ...['step', 'project', 'region', 'service', 'image', 'sha', 'revision-suffix', 'url'],
    ...['runtime-service-account', 'database-url-secret', 'cloudsql-instance', 'revision'],
    ...['ready-timeout', 'failed-step', 'previous', 'target'],
  ],
  ['json'],
);

export async function runDeploy(argv: string[], ctx: IO & { env: Env }): Promise<number> {
  const v = args.parseFlags(argv, FLAGS);
  const flag = (name: string) => args.optionalString(v, name);
  for (const [name, [form, what]] of Object.entries(FORMS)) {
    const value = flag(name);
    if (value !== undefined && !form.test(value))
      throw new args.UsageError(`--${name} must be ${what}, got "${value}"`);
  }
  if (flag('target') === 'vm') return deployVm(v, ctx);
  const step = flag('step');
  const steps = step ? [step] : STEPS;
  for (const name of new Set(steps.flatMap((s) => NEEDS[s] ?? [])))
    if (step || !['url', 'revision'].includes(name)) args.requireString(v, name);
  const [project, region, service = DEFAULT_SERVICE] = ['project', 'region', 'service'].map(flag);
  const names = deriveNames(project ?? '', region ?? '', service);

  const t: Target = { ...names, gcloud: createGcloud({ env: ctx.env }), log: ctx.stderr };
  const release = {
    image: flag('image') ?? '',
    sha: flag('sha') ?? '',
    revisionSuffix: flag('revision-suffix') ?? Math.floor(Date.now() / 1000).toString(36),
    runtimeServiceAccount: flag('runtime-service-account') ?? names.runtimeSa,
    databaseUrlSecret: flag('database-url-secret') ?? names.secret,
    cloudsqlInstance: flag('cloudsql-instance'),
  };
  const out: Record<string, string> = {};
  const run: Record<string, () => Promise<void>> = {
    migrate: () => migrate(t, declaration(t, release, pkg.version), out),
    revision: () => deployRevision(t, declaration(t, release, pkg.version), release, out),
    smoke: () =>
      smokeTest({
        baseUrl: flag('url') ?? (out.tag_url as string),
        idToken: ctx.env.SMOKE_ID_TOKEN,
        apiKey: ctx.env.SMOKE_API_KEY,
        readyTimeoutMs: Number(flag('ready-timeout') ?? 120) * 1000,
        log: (line) => t.log(`smoke: ${line}`),
      }),
    promote: () => promote(t, flag('revision') ?? (out.revision as string)),
  };

  let failed: Failed;
  for (const s of steps.filter((x) => x !== 'summary')) {
    try {
      await run[s]?.();
    } catch (err) {
      if (err instanceof GcloudError) failed = { step: s, error: err.line, logs: [] };
      else if (err instanceof DeployFailure)
        failed = { step: s, error: err.message, logs: err.logs };
      else throw err;
      break;
    }
  }
  const summary = steps.includes('summary')
    ? await summarize(t, {
        failedStep: failed?.step ?? flag('failed-step'),
        revision: flag('revision') ?? out.revision,
        image: flag('image'),
        previous: flag('previous') ?? out.previous,
      })
    : undefined;
  return report(ctx, v.json === true, out, summary, failed);
}

type Failed = { step: string; error: string; logs: string[] } | undefined;

/** Outputs to $GITHUB_OUTPUT, the summary to $GITHUB_STEP_SUMMARY, the outcome to stdout and stderr. */
function report(
  ctx: IO & { env: Env },
  json: boolean,
  out: Record<string, string>,
  summary: string | undefined,
  failed: Failed,
): number {
  const lines = Object.entries(out).map(([k, x]) => `${k}=${x}`);
  if (ctx.env.GITHUB_OUTPUT && lines.length)
    appendFileSync(ctx.env.GITHUB_OUTPUT, `${lines.join('\n')}\n`);
  if (ctx.env.GITHUB_STEP_SUMMARY && summary)
    appendFileSync(ctx.env.GITHUB_STEP_SUMMARY, `${summary}\n`);
  if (json) printJson(ctx, { ok: !failed, ...failed, outputs: out, summary });
  else {
    for (const line of summary ? [...lines, summary] : lines) ctx.stdout(line);
    if (failed) {
      const mark = ctx.env.GITHUB_ACTIONS === 'true' ? '::error::' : '';
      ctx.stderr(`${mark}runway deploy: ${failed.step} failed: ${failed.error}`);
      if (failed.logs.length)
        ctx.stderr(`its last ${failed.logs.length} log lines:\n  ${failed.logs.join('\n  ')}`);
    }
  }
  return failed ? EXIT.failure : EXIT.ok;
}

/** `deploy --target vm`: one step, the rollout (with its rollback), then the summary. */
async function deployVm(v: Record<string, string | boolean | undefined>, ctx: IO & { env: Env }) {
  const flag = (name: string) => args.optionalString(v, name);
  if (flag('step')) throw new args.UsageError('--step is for Cloud Run; --target vm is one step');
  const [project, image] = [args.requireString(v, 'project'), args.requireString(v, 'image')];
  const names = deriveNames(project, flag('region') ?? '', flag('service') ?? DEFAULT_SERVICE);
  const gcloud = createGcloud({ env: ctx.env });
  const out: Record<string, string> = {};
  let failed: Failed;
  try {
    const timeoutMs = Number(flag('ready-timeout') ?? 600) * 1000;
    const t = { ...names, names, gcloud, log: ctx.stderr };
    await rollVm(t, { image, version: pkg.version, url: flag('url'), timeoutMs }, out);
  } catch (err) {
    if (err instanceof GcloudError) failed = { step: 'rollout', error: err.line, logs: [] };
    else if (err instanceof DeployFailure)
      failed = { step: 'rollout', error: err.message, logs: err.logs };
    else throw err;
  }
  return report(ctx, v.json === true, out, vmSummary(names, out, failed?.error), failed);
}
