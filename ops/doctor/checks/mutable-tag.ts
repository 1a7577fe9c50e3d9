// Pitfall 5: deploying ":latest" (or no tag, which means latest) makes a
// revision whose image nobody can name afterwards: a rollback redeploys
// whatever latest is now, and two deploys racing push over each other. Every
// deploy path must name the image by commit SHA or by digest.
import type { Repo } from '../repo.ts';
import { SERVICE_YAML, serviceContainer } from '../service-yaml.ts';
import { collectSources, DEPLOY_COMMAND, flagValues, resolveValue, words } from '../sources.ts';
import type { Check, Finding } from '../types.ts';

export type ImageVerdict = 'immutable' | 'mutable-latest' | 'mutable-tag' | 'unknown';

const SHA_REF =
  /github\.sha|GITHUB_SHA|\bsha\b|_sha\b|\bsha_|sha[-_]?short|short[-_]?sha|commit|digest|\bSHA\b|\bgit_sha/i;

export function judgeImage(image: string): ImageVerdict {
  const v = image.trim().replace(/^["']|["']$/g, '');
  if (/@sha256:[0-9a-f]{64}/.test(v) || /@\$/.test(v)) return 'immutable';
  const last = v.split('/').pop() ?? v;
  const colon = last.indexOf(':');
  const tag = colon >= 0 ? last.slice(colon + 1) : null;
  const hasVar = /\$/.test(v);
  if (tag === null) {
    if (hasVar) {
      // The whole reference may come from a variable (unresolved here).
      return SHA_REF.test(v) ? 'immutable' : 'unknown';
    }
    return 'mutable-latest';
  }
  if (tag === 'latest') return 'mutable-latest';
  if (/\$/.test(tag)) return SHA_REF.test(tag) ? 'immutable' : 'unknown';
  if (/^(sha-)?[0-9a-f]{7,40}$/.test(tag)) return 'immutable';
  return 'mutable-tag';
}

function finding(
  where: string,
  image: string,
  verdict: ImageVerdict,
  file: string,
): Finding | null {
  if (verdict === 'immutable' || verdict === 'unknown') return null;
  const latest = verdict === 'mutable-latest';
  return {
    id: latest ? 'deploy-latest-tag' : 'deploy-mutable-tag',
    pitfall: 5,
    severity: latest ? 'error' : 'warning',
    message: `${where} deploys ${image}${latest ? ' (the latest tag)' : ', a tag that can be pushed again'}; a revision must name its image by commit SHA or digest`,
    fix: `Tag the image with the commit (REGION-docker.pkg.dev/PROJECT/REPO/SERVICE:\${{ github.sha }}) and deploy that tag or its digest (@sha256:...)`,
    file,
  };
}

export const mutableTagCheck: Check = {
  id: 'immutable-image',
  pitfall: 5,
  title: 'Every deploy path deploys an image by commit SHA or digest',
  run(repo: Repo): Finding[] {
    const findings: Finding[] = [];
    const sources = collectSources(repo);
    const judgeAll = (file: string, where: string, raw: string) => {
      const candidates = resolveValue(sources, file, raw);
      for (const c of candidates) {
        const f = finding(where, c === raw ? raw : `${raw} (= ${c})`, judgeImage(c), file);
        if (f) {
          findings.push(f);
          return;
        }
      }
    };
    for (const cmd of sources.commands) {
      if (!DEPLOY_COMMAND.test(cmd.text)) continue;
      for (const image of flagValues(words(cmd.text), '--image')) {
        judgeAll(cmd.file, `${cmd.file}${cmd.where ? ` (${cmd.where})` : ''}`, image);
      }
    }
    for (const a of sources.actions) {
      if (!/deploy-cloudrun/.test(a.uses)) continue;
      const image = a.with.image;
      if (typeof image === 'string') judgeAll(a.file, `${a.file} (${a.name ?? a.uses})`, image);
    }
    const svc = serviceContainer(repo);
    const image = svc?.container?.image;
    if (typeof image === 'string') {
      // A placeholder rendered at deploy time (IMAGE, ${IMAGE}, {{image}}) is fine.
      const placeholder = /\$|\{\{|^[A-Z_]+$/.test(image);
      if (!placeholder) {
        const f = finding(SERVICE_YAML, image, judgeImage(image), SERVICE_YAML);
        if (f) findings.push(f);
      }
    }
    return findings;
  },
};
