// The new revision, created from the declaration: with the traffic that serves
// now pinned and the new revision at 0 % behind its tag, or, when nothing
// serves yet, serving once ready. A revision that does not become ready leaves
// the traffic where it was, and its own log lines say why.
import { DeployFailure, lastLines, revisionFilter } from './logs.ts';
import * as s from './service.ts';

/** What the summary prints for "served before" when nothing did. */
export const NOTHING = 'none';

type Revision = { status?: { conditions?: Array<{ type: string; message?: string }> } };

/** Sets out.revision and out.previous first, so that a summary after a failure can name them. */
export async function deployRevision(
  t: s.Target,
  svc: s.Service,
  r: s.Release,
  out: Record<string, string>,
) {
  const { revision, tag } = s.revisionNames(t.service, r);
  const current = await s.readService(t);
  const previous = s.serving(current).join(' ');
  Object.assign(out, { revision, previous: previous || NOTHING });
  svc.spec.traffic = s.planTraffic(current?.status?.traffic ?? [], revision, tag);
  t.log(
    previous
      ? `revision: ${revision} starts with no traffic behind tag ${tag}; ${previous} keeps serving`
      : `revision: nothing serves ${t.service} yet (first deploy): ${revision} serves once ready`,
  );
  let applied: s.Service;
  try {
    const argv = ['run', 'services', 'replace', '-', '--format=json', ...s.where(t)];
    const context = s.runContext(t, `deploy revision ${revision}`);
    applied = JSON.parse((await t.gcloud.must(argv, context, JSON.stringify(svc))).stdout);
  } catch (err) {
    const filter = `--filter=metadata.name=${revision}`;
    const argv = ['run', 'revisions', 'list', '--service', t.service, filter, '--format=json'];
    const context = s.runContext(t, `read revision ${revision}`);
    const [created] = (await t.gcloud.json<Revision[]>([...argv, ...s.where(t)], context)) ?? [];
    // No revision: Cloud Run refused the declaration, and gcloud's reason stands.
    if (!created) throw err;
    const ready = created.status?.conditions?.find((c) => c.type === 'Ready');
    const logs = await lastLines(t, revisionFilter(t, revision));
    const why = `revision ${revision} did not become ready (${ready?.message ?? 'no reason given'})`;
    const traffic = previous ? `traffic stays with ${previous}` : 'nothing served before it';
    throw Object.assign(new DeployFailure(`${why}; ${traffic}`), { logs });
  }
  const tagUrl = applied.status?.traffic?.find((x) => x.tag === tag)?.url;
  if (!tagUrl) throw new DeployFailure(`${t.service} has no URL for tag ${tag} after the deploy`);
  Object.assign(out, { tag_url: tagUrl, service_url: applied.status?.url ?? '' });
}
