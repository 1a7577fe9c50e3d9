// GitHub's side: the repository's numeric id, which the WIF provider pins,
// and the repository variables the deploy workflow reads (identifiers, not
// secrets: the workflow authenticates with WIF and DATABASE_URL stays in
// Secret Manager).
import { UsageError } from '../args.ts';
import { createGcloud, type Env } from '../gcloud/run.ts';
import { type Names, poolResource } from '../names.ts';
import type { Options } from './plan.ts';

export async function repositoryId(github: string, env: Env): Promise<string> {
  const r = await createGcloud({ env, bin: 'gh' }).run(['api', `repos/${github}`, '--jq', '.id']);
  const id = r.stdout.trim();
  if (r.code === 0 && /^\d+$/.test(id)) return id;
  const cause =
    r.code === 127
      ? 'gh (GitHub CLI) is not on PATH'
      : `gh api repos/${github} failed: ${r.stderr.trim()}`;
  throw new UsageError(
    `bootstrap pins the Workload Identity provider to the numeric id of ${github}, and ${cause}. Either install gh (https://cli.github.com) and run gh auth login, or pass --github-repo-id with the "id" of https://api.github.com/repos/${github}`,
  );
}

export function githubVariables(
  o: Options,
  n: Names,
  projectNumber: string,
): Record<string, string> {
  return {
    GCP_PROJECT_ID: o.project,
    GCP_REGION: o.region,
    GCP_WORKLOAD_IDENTITY_PROVIDER: `${poolResource(projectNumber, n)}/providers/${n.provider}`,
    GCP_DEPLOYER_SERVICE_ACCOUNT: n.deployerSa,
    GCP_ARTIFACT_REPOSITORY: n.repository,
    CLOUD_RUN_SERVICE: n.service,
    // The VM reads its secrets itself, as its own account.
    ...(o.vm ? {} : { GCP_RUNTIME_SERVICE_ACCOUNT: n.runtimeSa, DATABASE_URL_SECRET: n.secret }),
    ...(o.withCloudsql ? { CLOUD_SQL_INSTANCE: n.sqlConnectionName } : {}),
  };
}
