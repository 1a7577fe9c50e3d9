// The migration: a Cloud Run job that runs dist/migrate.js from the image about
// to be deployed, with the service's own identity, environment, secrets and
// Cloud SQL connection (read from the declaration, so they are stated once),
// and waits for it. A failure stops the deploy before any revision exists.
import { DeployFailure, executionFilter, lastLines } from './logs.ts';
import { containerEnv, runContext, type Service, type Target, where } from './service.ts';

type Job = { status?: { latestCreatedExecution?: { name: string; completionStatus?: string } } };

export async function migrate(t: Target, svc: Service, out: Record<string, string>) {
  const job = `${t.service}-migrate`;
  const { serviceAccountName, containers } = svc.spec.template.spec;
  const [c] = containers;
  if (!c) throw new Error('service.yaml declares no container');
  const { values: env, secrets: refs } = containerEnv(svc);
  const secrets = refs.map(([name, ref]) => `${name}=${ref.name}:${ref.key}`);
  const sql = svc.spec.template.metadata?.annotations?.['run.googleapis.com/cloudsql-instances'];
  const limits = c.resources?.limits ?? {};
  const opt = (name: string, value: string | undefined) => (value ? [`--${name}=${value}`] : []);
  const deployed = await t.gcloud.json<Job>(
    ['run', 'jobs', 'deploy', job, `--image=${c.image}`, '--args=dist/migrate.js']
      .concat([`--service-account=${serviceAccountName}`, '--tasks=1', '--max-retries=0'])
      .concat(opt('set-env-vars', env.join(',')), opt('set-secrets', secrets.join(',')))
      .concat(opt('set-cloudsql-instances', sql), opt('cpu', limits.cpu))
      .concat(opt('memory', limits.memory))
      .concat(['--task-timeout=600s', '--quiet', '--format=json', ...where(t)]),
    runContext(t, `deploy the migration job ${job}`),
  );
  const before = deployed?.status?.latestCreatedExecution?.name;
  t.log(`migrate: running job ${job} (node dist/migrate.js from ${c.image})`);
  try {
    const done = await t.gcloud.json<{ metadata: { name: string } }>(
      ['run', 'jobs', 'execute', job, '--wait', '--format=json', ...where(t)],
      runContext(t, `run the migration job ${job}`),
    );
    out.execution = done?.metadata.name ?? '';
  } catch (err) {
    const after = await t.gcloud.json<Job>(
      ['run', 'jobs', 'describe', job, '--format=json', ...where(t)],
      runContext(t, `read the migration job ${job}`),
    );
    const ran = after?.status?.latestCreatedExecution;
    // No new execution: the job never started, and gcloud's reason stands.
    if (!ran || ran.name === before) throw err;
    const logs = await lastLines(t, executionFilter(job, ran.name));
    const why = `execution ${ran.name} of ${job} ended ${ran.completionStatus ?? 'without success'}`;
    throw Object.assign(new DeployFailure(`${why}: nothing deployed, traffic unchanged`), { logs });
  }
}
