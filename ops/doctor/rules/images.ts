// Pitfall 5 (../pitfalls.ts): every deployed image is pinned by digest or commit SHA.
import { deployPaths, flagValues } from '../deploy-paths.ts';
import type { Repo } from '../repo.ts';
import { SERVICE_YAML, service } from '../service-yaml.ts';
import type { Found } from '../types.ts';

export type ImageVerdict = 'pinned' | 'latest' | 'tag' | 'unknown';

/** How an image reference names its image; a variable counts as pinned when named for a SHA or digest. */
export function judgeImage(ref: string): ImageVerdict {
  const v = ref.trim().replace(/^["']|["']$/g, '');
  if (!v) return 'unknown';
  if (/@(sha256:[0-9a-f]{64}|\$)/.test(v)) return 'pinned';
  const last = v.slice(v.lastIndexOf('/') + 1);
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : null;
  if (tag === 'latest') return 'latest';
  if (/\$|\{\{/.test(v)) return /sha|digest|commit/i.test(tag ?? v) ? 'pinned' : 'unknown';
  if (tag === null) return 'latest';
  return /^(sha-)?[0-9a-f]{7,40}$/.test(tag) ? 'pinned' : 'tag';
}

export function images(repo: Repo): Found[] {
  const paths = deployPaths(repo);
  const refs: Array<{ file: string; raw: string; values: string[] }> = [];
  for (const { file, text } of paths.commands)
    for (const raw of flagValues(text, '--image'))
      refs.push({ file, raw, values: paths.resolve(file, raw) });
  for (const a of paths.actions)
    if (/deploy-cloudrun/.test(a.uses) && typeof a.with.image === 'string')
      refs.push({ file: a.file, raw: a.with.image, values: paths.resolve(a.file, a.with.image) });
  const image = service(repo)?.image;
  if (image) refs.push({ file: SERVICE_YAML, raw: image, values: [image] });

  return refs.flatMap(({ file, raw, values }) => {
    const hit = values
      .map((v) => ({ v, verdict: judgeImage(v) }))
      .find((x) => x.verdict === 'latest' || x.verdict === 'tag');
    if (!hit) return [];
    const latest = hit.verdict === 'latest';
    const message = `${file} deploys ${hit.v === raw ? raw : `${raw} (= ${hit.v})`}, ${latest ? 'the latest tag' : 'a tag that can be pushed again'}; a revision must name its image by commit SHA or digest`;
    const fix =
      'Tag the image with the commit SHA (REGION-docker.pkg.dev/PROJECT/REPO/SERVICE:GIT_SHA) and deploy that tag or its digest (@sha256:...)';
    const id = latest ? 'deploy-latest-tag' : 'deploy-mutable-tag';
    return { id, severity: latest ? 'error' : 'warning', message, fix, file } as Found;
  });
}
