#!/usr/bin/env node
// runway: the operator CLI. One entry point for every operator verb.
//   node ops/cli.ts <verb> [flags]      npm run runway -- <verb> [flags]
import { resolve } from 'node:path';
import { KEYS_USAGE, runKeys } from '../src/auth/cli.ts';
import { flags, optionalString, parseFlags, requireString, UsageError } from './args.ts';
import { MONITORED_SERVICE } from './bootstrap/monitoring.ts';
import { type BootstrapIO, runBootstrap } from './bootstrap/run.ts';
import { costOptions } from './cost/model.ts';
import { COST_USAGE, LOAD_FLAGS, loadFrom, runCost } from './cost/run.ts';
import { runDeploy } from './deploy/verb.ts';
import { runDoctor } from './doctor/run.ts';
import { DEFAULT_SERVICE } from './names.ts';
import { EXIT, processIO } from './output.ts';

const USAGE = `Usage: runway <verb> [flags]

Verbs:
  bootstrap  Create or repair everything the deploy workflow needs in a Google Cloud project.
             --project P --region R --github OWNER/REPO [--github-repo-id N] [--service NAME]
             [--with-cloudsql] [--with-traces] [--public] [--keep N] [--dry-run] [--json]
             [--with-monitoring --notify EMAIL]
             Without --with-cloudsql it reads DATABASE_URL from stdin (not echoed).
             --target vm: a Compute Engine VM instead of Cloud Run (docs/compute-engine.md);
             [--zone REGION-b] [--domain HOST] and --machine-type TYPE, or the load flags
             of cost (--requests-per-month N --from-bench FILE ...) to size it as cost does.
  doctor     Check the repository (always) and the project (when gcloud is authenticated)
             for the known deployment pitfalls, and print the fix for each finding.
             [--project P --region R] [--service NAME] [--github OWNER/REPO] [--repo DIR]
             [--offline] [--json]
  deploy     Deploy an image to Cloud Run: the steps migrate, revision, smoke, promote and
             summary in that order, or the one that --step names (the workflow runs one each).
             --project P --region R [--service NAME] [--step STEP] [--json]
             --target vm: roll the VM to --image, check /ready, roll back on failure
               (--project P [--url URL] [--ready-timeout 600]).
             migrate, revision: --image REGION-docker.pkg.dev/P/REPO/NAME@sha256:DIGEST
               --sha COMMIT [--revision-suffix S] [--runtime-service-account EMAIL]
               [--database-url-secret NAME] [--cloudsql-instance P:R:I]
             smoke: --url TAG_URL [--ready-timeout 120] ($SMOKE_ID_TOKEN, $SMOKE_API_KEY)
             promote: --revision NAME
             summary: [--failed-step STEP] [--revision NAME] [--image IMAGE] [--previous REVS]
             DEPLOYMENT.md says what each step leaves behind when it fails (exit 1).
  ${COST_USAGE}
  ${KEYS_USAGE}
  help       Show this text.

Exit codes: 0 ok, 1 failure or errors found, 2 usage error.`;

export interface CliContext extends BootstrapIO {
  cwd: string;
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
  const v = parseFlags(
    argv,
    flags(
      [
        'project',
        'region',
        'github',
        'github-repo-id',
        'service',
        'keep',
        'notify',
        'target',
      ].concat(['zone', 'machine-type', 'domain', ...LOAD_FLAGS]),
      ['with-cloudsql', 'with-traces', 'with-monitoring', 'public', 'dry-run', 'json'],
    ),
  );
  const withMonitoring = v['with-monitoring'] === true;
  const notify = optionalString(v, 'notify');
  const service = optionalString(v, 'service') ?? DEFAULT_SERVICE;
  if (
    withMonitoring !== (notify !== undefined) ||
    (notify && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(notify))
  )
    throw new UsageError(
      '--with-monitoring and --notify go together: --with-monitoring --notify EMAIL (the address the alerts go to)',
    );
  if (withMonitoring && service !== MONITORED_SERVICE)
    throw new UsageError(
      `--with-monitoring watches the service ${MONITORED_SERVICE}, which deploy/monitoring/ names in its filters: edit those files for --service ${service}`,
    );
  const github = requireString(v, 'github');
  const githubRepoId = optionalString(v, 'github-repo-id');
  const keep = Number(optionalString(v, 'keep') ?? '10');
  if (githubRepoId !== undefined && !/^\d+$/.test(githubRepoId)) {
    throw new UsageError(
      `--github-repo-id must be the numeric repository id (gh api repos/${github} --jq .id), got "${githubRepoId}"`,
    );
  }
  if (!Number.isInteger(keep) || keep < 1 || keep > 1000) {
    throw new UsageError('--keep must be an integer from 1 to 1000 (e.g. 10)');
  }
  const region = requireString(v, 'region');
  return runBootstrap(
    {
      ...vmOptions(v, region, ctx.cwd),
      project: requireString(v, 'project'),
      region,
      github,
      githubRepoId,
      service,
      keep,
      withCloudsql: v['with-cloudsql'] === true,
      withTraces: v['with-traces'] === true,
      withMonitoring,
      notify,
      public: v.public === true,
      dryRun: v['dry-run'] === true,
      json: v.json === true,
    },
    ctx,
  );
}

/** The VM path's options: its zone, domain and machine type (given, or what cost recommends). */
function vmOptions(v: Record<string, string | boolean | undefined>, region: string, cwd: string) {
  const target = optionalString(v, 'target') ?? 'cloud-run';
  const only = ['zone', 'domain', 'machine-type', ...LOAD_FLAGS].filter((f) => v[f] !== undefined);
  if (target === 'cloud-run') {
    if (only.length) throw new UsageError(`--${only[0]} is a flag of --target vm`);
    return { vm: false };
  }
  if (target !== 'vm') throw new UsageError(`--target must be cloud-run or vm, got "${target}"`);
  const cloudRunOnly = {
    'with-cloudsql': 'the VM reads DATABASE_URL from its secret: pipe it to bootstrap',
    public: 'the VM answers through Caddy on its address',
    'with-monitoring': "deploy/monitoring/ watches Cloud Run's metrics",
  };
  for (const [f, why] of Object.entries(cloudRunOnly))
    if (v[f]) throw new UsageError(`--${f} is for Cloud Run, not --target vm: ${why}`);
  const zone = optionalString(v, 'zone') ?? `${region}-b`;
  if (!new RegExp(`^${region}-[a-z]$`).test(zone))
    throw new UsageError(`--zone must be a zone of ${region} (e.g. ${region}-b), got "${zone}"`);
  const domain = optionalString(v, 'domain');
  if (
    domain !== undefined &&
    !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/.test(domain)
  )
    throw new UsageError(`--domain must be a host name (e.g. api.example.com), got "${domain}"`);
  let machineType = optionalString(v, 'machine-type');
  if (!machineType) {
    if (v['requests-per-month'] === undefined)
      throw new UsageError(
        '--target vm needs --machine-type, or the load to size it (--requests-per-month N --from-bench bench/results/latest.json, as npm run runway -- cost takes)',
      );
    const vm = costOptions(loadFrom(v, cwd).load).find((o) => o.id === 'compute-engine:on-demand');
    if (vm?.instances !== 1)
      throw new UsageError(
        `that load needs ${vm?.instances} VMs of ${vm?.machine_type} (npm run runway -- cost); the VM path runs one: choose Cloud Run, or pass --machine-type`,
      );
    machineType = vm.machine_type;
  }
  return { vm: true, zone, domain, machineType };
}

async function doctor(argv: string[], ctx: CliContext): Promise<number> {
  const v = parseFlags(
    argv,
    flags(['project', 'region', 'service', 'github', 'repo'], ['offline', 'json']),
  );
  return runDoctor(
    {
      repoDir: resolve(ctx.cwd, optionalString(v, 'repo') ?? '.'),
      project: optionalString(v, 'project'),
      region: optionalString(v, 'region'),
      github: optionalString(v, 'github'),
      service: optionalString(v, 'service') ?? DEFAULT_SERVICE,
      offline: v.offline === true,
      json: v.json === true,
    },
    ctx,
  );
}

if (import.meta.main) {
  // A reader that stops early (`| head`) closes the pipe: nothing is left to say.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit();
    throw err;
  });
  process.exitCode = await main(process.argv.slice(2), {
    ...processIO(),
    env: process.env,
    cwd: process.cwd(),
  });
}
