// The Docker repository the pipeline pushes to, with a cleanup policy so that
// storage does not grow with every commit: images older than a week are
// deleted unless they are among the last N (the rollback window).
import { isNotFound } from '../../gcloud/run.ts';
import type { Step } from '../step.ts';
import { read, write } from '../step.ts';

export const KEEP_POLICY_ID = 'keep-recent';
export const DELETE_POLICY_ID = 'delete-old';

export function cleanupPolicy(keep: number): unknown[] {
  return [
    {
      name: KEEP_POLICY_ID,
      action: { type: 'Keep' },
      mostRecentVersions: { keepCount: keep },
    },
    {
      name: DELETE_POLICY_ID,
      action: { type: 'Delete' },
      condition: { tagState: 'any', olderThan: '7d' },
    },
  ];
}

interface Repo {
  format?: string;
  cleanupPolicies?: Record<
    string,
    { action?: string; mostRecentVersions?: { keepCount?: number }; condition?: unknown }
  >;
  cleanupPolicyDryRun?: boolean;
}

export function cleanupPolicyIsCurrent(repo: Repo, keep: number): boolean {
  const keepPolicy = repo.cleanupPolicies?.[KEEP_POLICY_ID];
  const deletePolicy = repo.cleanupPolicies?.[DELETE_POLICY_ID];
  return (
    keepPolicy?.mostRecentVersions?.keepCount === keep &&
    deletePolicy !== undefined &&
    repo.cleanupPolicyDryRun !== true
  );
}

export const registryStep: Step<'describe' | 'create' | 'cleanup'> = {
  id: 'registry',
  title: 'Artifact Registry Docker repository with a cleanup policy',
  commands: ({ opts, names, policyFile }) => {
    const loc = [`--location=${opts.region}`, `--project=${opts.project}`];
    return {
      describe: read([
        'artifacts',
        'repositories',
        'describe',
        names.repository,
        ...loc,
        '--format=json',
      ]),
      create: write(
        [
          'artifacts',
          'repositories',
          'create',
          names.repository,
          '--repository-format=docker',
          `--description=Container images of ${names.service}, pushed by the deploy workflow`,
          ...loc,
        ],
        'if the repository is missing',
      ),
      cleanup: write(
        [
          'artifacts',
          'repositories',
          'set-cleanup-policies',
          names.repository,
          `--policy=${policyFile}`,
          // Without --no-dry-run a policy can sit in dry-run mode and never delete.
          '--no-dry-run',
          ...loc,
        ],
        `if the cleanup policy is missing or does not keep the last ${opts.keep}`,
      ),
    };
  },
  async apply(ctx) {
    const { opts, names } = ctx.input;
    const cmds = this.commands(ctx.input);
    const changes: string[] = [];
    const what = `Artifact Registry repository ${names.repository} in ${opts.region}`;
    let repo: Repo | null = null;
    try {
      repo = await ctx.gcloud.json<Repo>(cmds.describe.argv, {
        what: `read the ${what}`,
        project: opts.project,
        role: 'roles/artifactregistry.reader',
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!repo) {
      await ctx.gcloud.must(cmds.create.argv, {
        what: `create the ${what}`,
        project: opts.project,
        role: 'roles/artifactregistry.admin',
      });
      changes.push(`created ${what}`);
      repo = {};
    } else if (repo.format && repo.format !== 'DOCKER') {
      throw new Error(
        `${what} exists but holds ${repo.format} packages; choose another --service or delete it: gcloud artifacts repositories delete ${names.repository} --location=${opts.region} --project=${opts.project}`,
      );
    }
    if (!cleanupPolicyIsCurrent(repo, opts.keep)) {
      await ctx.gcloud.must(cmds.cleanup.argv, {
        what: `set the cleanup policy of the ${what}`,
        project: opts.project,
        role: 'roles/artifactregistry.admin',
      });
      changes.push(
        `cleanup policy keeps the last ${opts.keep} images, deletes older ones after 7 days`,
      );
    }
    if (changes.length === 0) return { status: 'unchanged', changes };
    return { status: changes[0]?.startsWith('created') ? 'created' : 'updated', changes };
  },
};
