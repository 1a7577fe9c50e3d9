// Pitfall 6 (../pitfalls.ts): deploys and migrations that the job waits for.
import { deployPaths, GCLOUD_RUN } from '../deploy-paths.ts';
import type { Repo } from '../repo.ts';
import type { Found } from '../types.ts';

export function waits(repo: Repo): Found[] {
  return deployPaths(repo).commands.flatMap(({ file, text }): Found[] => {
    const [match, group, verb] = GCLOUD_RUN.exec(text) ?? [];
    const command = `gcloud run ${group} ${verb}`;
    const executes = group === 'jobs' && (verb === 'execute' || /--execute-now\b/.test(text));
    if (executes && !/--wait\b/.test(text)) {
      const message = `${file}: ${command} starts the job without --wait, so its failure neither stops the deploy nor shows in the log`;
      const fix = `Add --wait to the gcloud run jobs command in ${file}`;
      return [{ id: 'migration-not-awaited', severity: 'error', message, fix, file }];
    }
    if (!match || group === 'jobs' || !/--async\b/.test(text)) return [];
    const message = `${file}: ${command} --async returns before the revision is ready, so a failed revision does not fail the job and its error is not in the log`;
    const fix = `Remove --async from the gcloud run command in ${file}`;
    return [{ id: 'deploy-async', severity: 'error', message, fix, file }];
  });
}
