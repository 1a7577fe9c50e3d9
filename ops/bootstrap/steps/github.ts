// The repository variables the deploy workflow reads. They are identifiers,
// not secrets (the workflow authenticates with WIF, and DATABASE_URL stays in
// Secret Manager), so they are GitHub *variables*, readable in logs.
import { createGcloud } from '../../gcloud/run.ts';
import { providerResource } from '../../names.ts';
import type { PlanInput, Step } from '../step.ts';
import { write } from '../step.ts';

export function githubVariables(input: PlanInput): Record<string, string> {
  const { opts, names, projectNumber } = input;
  const vars: Record<string, string> = {
    GCP_PROJECT_ID: opts.project,
    GCP_REGION: opts.region,
    GCP_WORKLOAD_IDENTITY_PROVIDER: providerResource(projectNumber, names),
    GCP_DEPLOYER_SERVICE_ACCOUNT: names.deployerSa,
    GCP_RUNTIME_SERVICE_ACCOUNT: names.runtimeSa,
    GCP_ARTIFACT_REPOSITORY: names.repository,
    CLOUD_RUN_SERVICE: names.service,
  };
  if (opts.withCloudsql) {
    vars.CLOUD_SQL_INSTANCE = names.sqlConnectionName;
    vars.DATABASE_URL_SECRET = names.secret;
  }
  return vars;
}

export const githubStep: Step = {
  id: 'github-variables',
  title: 'GitHub repository variables for the deploy workflow',
  commands: (input) => {
    const cmds: Record<string, ReturnType<typeof write>> = {};
    for (const [k, v] of Object.entries(githubVariables(input))) {
      cmds[k] = write(
        ['variable', 'set', k, `--body=${v}`, `--repo=${input.opts.github}`],
        'with --set-github, when gh is installed (these run gh, not gcloud)',
      );
    }
    return cmds;
  },
  async apply(ctx) {
    const vars = githubVariables(ctx.input);
    ctx.outputs.githubVariables = vars;
    if (!ctx.input.opts.setGithub) {
      return {
        status: 'unchanged',
        changes: [],
        notes: ['set them with --set-github, or by hand (printed below)'],
      };
    }
    const gh = createGcloud({ env: ctx.env, bin: 'gh' });
    const version = await gh.run(['--version'], { timeoutMs: 10_000 });
    if (version.code !== 0) {
      return {
        status: 'unchanged',
        changes: [],
        notes: [
          'gh is not installed: set the variables printed below in Settings > Secrets and variables > Actions > Variables',
        ],
      };
    }
    const changes: string[] = [];
    for (const [k, cmd] of Object.entries(this.commands(ctx.input))) {
      const r = await gh.run(cmd.argv, { timeoutMs: 30_000 });
      if (r.code !== 0) {
        throw new Error(
          `setting GitHub variable ${k} failed: ${r.stderr.trim() || `gh exited ${r.code}`}. Fix: gh auth login && gh auth refresh -s repo, then re-run with --set-github`,
        );
      }
      changes.push(`set ${k}`);
    }
    return { status: 'updated', changes };
  },
};
