#!/usr/bin/env node
// runway: the operator CLI. One entry point for every operator verb.
//   node ops/cli.ts <verb> [flags]      npm run runway -- <verb> [flags]
// Exit codes: 0 ok, 1 failure (or doctor found errors), 2 usage error.
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEYS_USAGE, runKeys } from '../src/auth/cli.ts';
import {
  optionalString,
  parseFlags,
  requireString,
  UsageError,
  validateGithub,
  validateProject,
  validateRegion,
  validateService,
} from './args.ts';
import { runBootstrap } from './bootstrap/run.ts';
import { COST_USAGE, runCost } from './cost/run.ts';
import { runDeploy } from './deploy/verb.ts';
import { runDoctor } from './doctor/run.ts';
import type { Env } from './gcloud/run.ts';
import { DEFAULT_SERVICE, ROLES } from './names.ts';
import { EXIT, type IO, processIO, readSecret } from './output.ts';

const USAGE = `Usage: runway <verb> [flags]

Verbs:
  bootstrap  Create or repair everything the deploy workflow needs in a Google Cloud project.
             --project P --region R --github OWNER/REPO [--github-repo-id N] [--service NAME]
             [--with-cloudsql] [--with-traces] [--public] [--keep N] [--dry-run] [--json]
             Without --github-repo-id it asks gh (gh api repos/OWNER/REPO --jq .id). Without
             --with-cloudsql it stores the DATABASE_URL it reads from stdin (not echoed) when
             the secret does not exist yet. --with-traces: the service exports traces to
             Cloud Trace (its account gets ${ROLES.traces}).
  doctor     Check the repository (always) and the project (when gcloud is authenticated)
             for the known deployment pitfalls, and print the fix for each finding.
             [--project P --region R] [--service NAME] [--github OWNER/REPO] [--repo DIR]
             [--offline] [--json]
  deploy     Deploy an image to Cloud Run: the steps migrate, revision, smoke, promote and
             summary in that order, or the one that --step names (the workflow runs one each).
             --project P --region R [--service NAME] [--step STEP] [--json]
             migrate, revision: --image REGION-docker.pkg.dev/P/REPO/NAME@sha256:DIGEST
               --sha COMMIT [--revision-suffix S] [--runtime-service-account EMAIL]
               [--database-url-secret NAME] [--cloudsql-instance P:R:I]
             smoke: --url TAG_URL [--ready-timeout 120] ($SMOKE_ID_TOKEN, $SMOKE_API_KEY)
             promote: --revision NAME
             summary: [--failed-step STEP] [--revision NAME] [--image IMAGE] [--previous REVS]
             Exit 1 means, per step: migrate: the migration job failed, nothing was deployed;
             revision: the new revision did not become ready, traffic is unchanged; smoke: a
             check failed at the tag URL, the new revision keeps 0 % (on a first deploy it is
             the only one and serves); promote: traffic did not reach 100 %, what served still
             serves; summary: never. Outputs go to $GITHUB_OUTPUT, the summary also to
             $GITHUB_STEP_SUMMARY, when they are set.
  ${COST_USAGE}
  ${KEYS_USAGE}
  help       Show this text.

Exit codes: 0 ok, 1 failure or errors found, 2 usage error.`;

export interface CliContext extends IO {
  env: Env;
  cwd: string;
  retryDelayMs?: number;
  /** Where bootstrap reads DATABASE_URL (default: stdin, never echoed). */
  readSecret?: () => Promise<string>;
}

export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    switch (verb) {
      case 'bootstrap':
        return await bootstrap(rest, ctx);
      case 'doctor':
        return await doctor(rest, ctx);
      case 'deploy':
        return await runDeploy(rest, ctx);
      case 'cost':
        return await runCost(rest, ctx);
      case 'keys':
        return await runKeys(rest, ctx);
      case 'help':
      case '--help':
      case '-h':
        ctx.stdout(USAGE);
        return EXIT.ok;
      case undefined:
        ctx.stderr(USAGE);
        return EXIT.usage;
      default:
        throw new UsageError(`unknown verb "${verb}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.stderr(`runway: ${err.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    ctx.stderr(`runway: ${(err as Error).stack ?? String(err)}`);
    return EXIT.failure;
  }
}

async function bootstrap(argv: string[], ctx: CliContext): Promise<number> {
  const v = parseFlags(argv, {
    project: { type: 'string' },
    region: { type: 'string' },
    github: { type: 'string' },
    'github-repo-id': { type: 'string' },
    service: { type: 'string' },
    keep: { type: 'string' },
    'with-cloudsql': { type: 'boolean' },
    'with-traces': { type: 'boolean' },
    public: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const project = requireString(v, 'project');
  const region = requireString(v, 'region');
  const github = requireString(v, 'github');
  const service = optionalString(v, 'service') ?? DEFAULT_SERVICE;
  const githubRepoId = optionalString(v, 'github-repo-id');
  const keep = Number(optionalString(v, 'keep') ?? '10');
  validateProject(project);
  validateRegion(region);
  validateGithub(github);
  validateService(service);
  if (githubRepoId !== undefined && !/^\d+$/.test(githubRepoId)) {
    throw new UsageError(
      `--github-repo-id must be the numeric repository id (gh api repos/${github} --jq .id), got "${githubRepoId}"`,
    );
  }
  if (!Number.isInteger(keep) || keep < 1 || keep > 1000) {
    throw new UsageError('--keep must be an integer from 1 to 1000 (e.g. 10)');
  }
  return runBootstrap(
    {
      project,
      region,
      github,
      ...(githubRepoId ? { githubRepoId } : {}),
      service,
      keep,
      withCloudsql: v['with-cloudsql'] === true,
      withTraces: v['with-traces'] === true,
      public: v.public === true,
      dryRun: v['dry-run'] === true,
      json: v.json === true,
    },
    {
      ...ctx,
      readSecret: ctx.readSecret ?? (() => readSecret('DATABASE_URL (not echoed): ')),
      // IAM takes a few seconds to see an account created a moment ago.
      retryDelayMs: ctx.retryDelayMs ?? 2000,
    },
  );
}

async function doctor(argv: string[], ctx: CliContext): Promise<number> {
  const v = parseFlags(argv, {
    project: { type: 'string' },
    region: { type: 'string' },
    service: { type: 'string' },
    github: { type: 'string' },
    repo: { type: 'string' },
    offline: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const project = optionalString(v, 'project');
  const region = optionalString(v, 'region');
  const service = optionalString(v, 'service') ?? DEFAULT_SERVICE;
  const github = optionalString(v, 'github');
  if (project) validateProject(project);
  if (region) validateRegion(region);
  if (github) validateGithub(github);
  validateService(service);
  return runDoctor(
    {
      repoDir: resolve(ctx.cwd, optionalString(v, 'repo') ?? '.'),
      ...(project ? { project } : {}),
      ...(region ? { region } : {}),
      ...(github ? { github } : {}),
      service,
      offline: v.offline === true,
      json: v.json === true,
    },
    ctx,
  );
}

function invokedDirectly(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  const code = await main(process.argv.slice(2), {
    ...processIO(),
    env: process.env,
    cwd: process.cwd(),
  });
  process.exitCode = code;
}
