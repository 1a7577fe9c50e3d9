// The last log lines of one revision or one job execution, so that the log of
// the deploy shows why it failed. Reading logs needs roles/logging.viewer;
// without it the lines say so, and the failure they explain still stands.
import { GcloudError } from '../gcloud/run.ts';
import { ROLES } from '../names.ts';
import type { Target } from './service.ts';

/** A step that failed, with the log lines that say why. */
export class DeployFailure extends Error {
  override name = 'DeployFailure';
  logs: string[] = [];
}

type LogEntry = {
  timestamp?: string;
  severity?: string;
  textPayload?: string;
  jsonPayload?: { message?: string };
};

export const revisionFilter = (t: Target, revision: string) =>
  `resource.type="cloud_run_revision" AND resource.labels.service_name="${t.service}" AND resource.labels.revision_name="${revision}"`;

export const executionFilter = (job: string, execution: string) =>
  `resource.type="cloud_run_job" AND resource.labels.job_name="${job}" AND labels."run.googleapis.com/execution_name"="${execution}"`;

export async function lastLines(t: Target, filter: string, limit = 50): Promise<string[]> {
  const argv = ['logging', 'read', filter, '--project', t.project, '--format=json'];
  const context = { what: 'read the logs', project: t.project, role: ROLES.readLogs };
  try {
    const entries = await t.gcloud.json<LogEntry[]>([...argv, `--limit=${limit}`], context);
    // gcloud returns the newest first; a log reads oldest first.
    return (entries ?? []).reverse().map((e) => {
      const text = e.textPayload ?? e.jsonPayload?.message ?? JSON.stringify(e.jsonPayload);
      return `${e.timestamp} ${e.severity ?? 'DEFAULT'} ${text}`;
    });
  } catch (err) {
    if (!(err instanceof GcloudError)) throw err;
    return [`(no logs: ${err.line})`];
  }
}
