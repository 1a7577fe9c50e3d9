// Pitfall 3: Cloud Build's default builder is the classic Docker builder. It
// rejects RUN --mount, heredocs, COPY --link/--chmod and friends, so a
// Dockerfile written for BuildKit builds on a laptop and fails in Cloud Build.
import { instructions } from '../dockerfile.ts';
import type { Repo } from '../repo.ts';
import { collectSources } from '../sources.ts';
import type { Check, Finding } from '../types.ts';

const BUILDKIT_ONLY: Array<{ re: RegExp; what: string; keyword?: RegExp }> = [
  { re: /^\s*#\s*syntax\s*=/im, what: '# syntax= parser directive (selects a BuildKit frontend)' },
  { re: /--mount[=\s]/, what: 'RUN --mount (cache/secret/bind mounts)', keyword: /^RUN$/ },
  { re: /--network[=\s]/, what: 'RUN --network', keyword: /^RUN$/ },
  { re: /--security[=\s]/, what: 'RUN --security', keyword: /^RUN$/ },
  { re: /<<-?\s*["']?[A-Za-z_]\w*["']?/, what: 'heredoc (<<EOF)', keyword: /^(RUN|COPY|ADD)$/ },
  { re: /--link\b/, what: '--link', keyword: /^(COPY|ADD)$/ },
  { re: /--chmod[=\s]/, what: '--chmod', keyword: /^(COPY|ADD)$/ },
  { re: /--parents\b/, what: 'COPY --parents', keyword: /^(COPY|ADD)$/ },
  { re: /--exclude[=\s]/, what: '--exclude', keyword: /^(COPY|ADD)$/ },
  { re: /--checksum[=\s]/, what: 'ADD --checksum', keyword: /^ADD$/ },
  { re: /--keep-git-dir\b/, what: 'ADD --keep-git-dir', keyword: /^ADD$/ },
  {
    re: /\$\{?(BUILDPLATFORM|TARGETPLATFORM|TARGETARCH|TARGETOS|TARGETVARIANT|BUILDARCH|BUILDOS)\b/,
    what: 'automatic platform ARGs (empty without BuildKit)',
  },
];

export function buildkitFindings(
  file: string,
  text: string,
): Array<{ line: number; what: string }> {
  const out: Array<{ line: number; what: string }> = [];
  const syntax = text.split(/\r?\n/).findIndex((l) => /^\s*#\s*syntax\s*=/i.test(l));
  if (syntax >= 0) out.push({ line: syntax + 1, what: BUILDKIT_ONLY[0]?.what ?? '# syntax=' });
  for (const ins of instructions(text)) {
    for (const rule of BUILDKIT_ONLY.slice(1)) {
      if (rule.keyword && !rule.keyword.test(ins.keyword)) continue;
      // Look at the flags only for flag rules, so "--link" inside a shell
      // command of a RUN is not mistaken for COPY --link.
      if (rule.re.test(ins.args)) out.push({ line: ins.line, what: rule.what });
    }
  }
  void file;
  return out;
}

export const buildkitCheck: Check = {
  id: 'dockerfile-buildkit',
  pitfall: 3,
  title: 'Dockerfile builds without BuildKit where Cloud Build builds it',
  run(repo: Repo): Finding[] {
    const text = repo.read('Dockerfile');
    if (text === null) {
      return [
        {
          id: 'dockerfile-missing',
          pitfall: 3,
          severity: 'warning',
          message: 'No Dockerfile at the repository root; nothing to build for Cloud Run',
          fix: 'Add a Dockerfile (multi-stage, Node 24, listening on $PORT)',
        },
      ];
    }
    const sources = collectSources(repo);
    const hits = buildkitFindings('Dockerfile', text);
    if (hits.length === 0) return [];
    const via = sources.usesCloudBuild
      ? `the pipeline builds with Cloud Build (${sources.cloudBuildConfigs[0] ?? 'gcloud builds submit'}), whose default builder rejects it`
      : 'nothing builds it with Cloud Build today, but the default Dockerfile must build with plain docker build and with Cloud Build';
    return hits.map((h) => ({
      id: 'dockerfile-buildkit-syntax',
      pitfall: 3,
      severity: sources.usesCloudBuild ? 'error' : 'warning',
      message: `Dockerfile:${h.line} uses BuildKit-only ${h.what}; ${via}`,
      fix: `Rewrite Dockerfile:${h.line} without it (plain COPY/RUN, chmod in a RUN step), or move it to a separate Dockerfile built only with docker buildx`,
      file: 'Dockerfile',
    }));
  },
};
