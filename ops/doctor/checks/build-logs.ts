// Pitfall 6: a build or deploy whose logs are not in the workflow run. The
// original submitted to Cloud Build with --async and read nothing back; a
// failed build looked like a successful job. Builds in the runner show their
// logs; Cloud Build must stream them (and the caller must be allowed to read
// them); a deploy or migration must be waited for, so that its failure fails
// the job.
import type { Repo } from '../repo.ts';
import { collectSources } from '../sources.ts';
import type { Check, Finding } from '../types.ts';

export const buildLogsCheck: Check = {
  id: 'build-logs-visible',
  pitfall: 6,
  title: 'Build and deploy logs appear in the workflow run',
  run(repo: Repo): Finding[] {
    const findings: Finding[] = [];
    const sources = collectSources(repo);
    for (const { file, error } of sources.parseErrors) {
      findings.push({
        id: 'workflow-unparsable',
        pitfall: 6,
        severity: 'error',
        message: `${file} is not valid YAML (${error}); GitHub will not run it and doctor cannot check it`,
        fix: `Fix the YAML in ${file} (npx action-validator ${file})`,
        file,
      });
    }
    for (const cmd of sources.commands) {
      const t = cmd.text;
      const where = `${cmd.file}${cmd.where ? ` (${cmd.where})` : ''}`;
      if (/\bgcloud\s+(?:beta\s+)?builds\s+submit\b/.test(t)) {
        for (const flag of ['--async', '--suppress-logs']) {
          if (new RegExp(`${flag}\\b`).test(t)) {
            findings.push({
              id: 'cloud-build-logs-hidden',
              pitfall: 6,
              severity: 'error',
              message: `${where}: gcloud builds submit ${flag} hides the build log from the workflow run, and the job does not fail when the build does`,
              fix: `Remove ${flag}, or build in the runner with docker build (logs in the job) and push`,
              file: cmd.file,
            });
          }
        }
        const streamsToOwnBucket =
          /--default-buckets-behavior=regional-user-owned-bucket|--gcs-log-dir/.test(t);
        const loggingOnly = sources.cloudBuildConfigs.some((f) =>
          /CLOUD_LOGGING_ONLY/.test(repo.read(f) ?? ''),
        );
        if (!streamsToOwnBucket && !loggingOnly) {
          findings.push({
            id: 'cloud-build-log-streaming',
            pitfall: 6,
            severity: 'warning',
            message: `${where}: gcloud builds submit streams logs only if the caller can read the default logs bucket (project Viewer); a least-privilege deployer gets "This tool can only stream logs if you are Viewer/Owner of the project"`,
            fix: 'Add options: {logging: CLOUD_LOGGING_ONLY} to cloudbuild.yaml and grant the deployer roles/logging.viewer, or build in the runner with docker build',
            file: cmd.file,
          });
        }
      }
      if (
        /\bgcloud\s+(?:beta\s+)?run\s+(?:deploy|services\s+(?:update|replace)|services\s+update-traffic)\b/.test(
          t,
        ) &&
        /--async\b/.test(t)
      ) {
        findings.push({
          id: 'deploy-async',
          pitfall: 6,
          severity: 'error',
          message: `${where}: --async returns before the revision is ready, so a failed revision does not fail the job and its error is not in the log`,
          fix: 'Remove --async from the gcloud run command',
          file: cmd.file,
        });
      }
      if (/\bgcloud\s+(?:beta\s+)?run\s+jobs\s+execute\b/.test(t) && !/--wait\b/.test(t)) {
        findings.push({
          id: 'migration-not-awaited',
          pitfall: 6,
          severity: 'error',
          message: `${where}: gcloud run jobs execute without --wait starts the migration and moves on; its failure neither stops the deploy nor shows in the log`,
          fix: 'Add --wait to gcloud run jobs execute',
          file: cmd.file,
        });
      }
    }
    return findings;
  },
};
