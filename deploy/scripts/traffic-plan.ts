// The traffic block of a deploy: the new revision gets a tag and 0 %, and every
// revision that serves now keeps exactly its share. Pinning the current
// revisions by name matters: a `latestRevision: true` target would move to the
// new revision the moment it is ready, before any smoke test.

export interface TrafficTarget {
  revisionName?: string;
  latestRevision?: boolean;
  percent?: number;
  tag?: string;
  url?: string;
}

/** The part of `gcloud run services describe --format=json` this needs. */
export interface ServiceState {
  status?: { traffic?: TrafficTarget[]; url?: string; latestReadyRevisionName?: string };
}

/** Tags this pipeline gives to revisions under test; older ones are dropped. */
export const DEPLOY_TAG_PREFIX = 'sha-';

export function planTraffic(
  current: ServiceState | undefined,
  newRevision: string,
  tag: string,
): TrafficTarget[] {
  const serving = (current?.status?.traffic ?? []).filter((t) => (t.percent ?? 0) > 0);
  if (serving.length === 0) {
    // First deploy: nothing serves yet, so there is nothing to protect.
    return [{ revisionName: newRevision, percent: 100, tag }];
  }
  const kept: TrafficTarget[] = [];
  for (const t of current?.status?.traffic ?? []) {
    const percent = t.percent ?? 0;
    const userTag = t.tag && !t.tag.startsWith(DEPLOY_TAG_PREFIX) ? t.tag : undefined;
    if (percent === 0 && !userTag) continue; // an old tag of ours, or an empty entry
    if (!t.revisionName) {
      throw new Error(
        'the current traffic has a target without a revision name; cannot pin it. ' +
          'Run `gcloud run services describe SERVICE --format=json` and check status.traffic.',
      );
    }
    kept.push({ revisionName: t.revisionName, percent, ...(userTag ? { tag: userTag } : {}) });
  }
  const total = kept.reduce((s, t) => s + (t.percent ?? 0), 0);
  if (total !== 100)
    throw new Error(
      `the current traffic adds up to ${total} %, not 100 %: fix it before deploying`,
    );
  if (kept.some((t) => t.tag === tag))
    throw new Error(`tag ${tag} is already in use by a serving revision`);
  return [...kept, { revisionName: newRevision, percent: 0, tag }];
}

/** The revision(s) that get traffic now: what a failed deploy leaves serving. */
export function servingRevisions(current: ServiceState | undefined): string[] {
  return (current?.status?.traffic ?? [])
    .filter((t) => (t.percent ?? 0) > 0 && t.revisionName)
    .map((t) => `${t.revisionName}=${t.percent}%`);
}
