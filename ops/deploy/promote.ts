// Promotion: the tested revision gets all the traffic, confirmed by reading
// the service back.
import { DeployFailure } from './logs.ts';
import { readService, runContext, type Target, where } from './service.ts';

export async function promote(t: Target, revision: string) {
  const to = `--to-revisions=${revision}=100`;
  await t.gcloud.must(
    ['run', 'services', 'update-traffic', t.service, to, '--quiet', ...where(t)],
    runContext(t, `move all traffic of ${t.service} to ${revision}`),
  );
  const share = ((await readService(t))?.status?.traffic ?? [])
    .filter((x) => x.revisionName === revision)
    .reduce((sum, x) => sum + (x.percent ?? 0), 0);
  if (share !== 100)
    throw new DeployFailure(`after promoting, ${revision} serves ${share} % instead of 100 %`);
  t.log(`promote: ${revision} serves 100 % of ${t.service}`);
}
