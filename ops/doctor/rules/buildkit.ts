// Pitfall 3: the root Dockerfile must build with any builder. Cloud Build's
// default builder and docker without BuildKit reject RUN --mount, heredocs,
// COPY --link/--chmod and friends, so a Dockerfile written for BuildKit builds
// on a laptop and fails elsewhere.
import { instructions } from '../dockerfile.ts';
import type { Repo } from '../repo.ts';
import type { Found } from '../types.ts';

const BUILDKIT_ONLY: Array<{ keyword: RegExp; re: RegExp; what: string }> = [
  {
    keyword: /^RUN$/,
    re: /^(--\S+\s+)*--(mount|network|security)=/,
    what: 'RUN --mount/--network/--security',
  },
  { keyword: /^(RUN|COPY|ADD)$/, re: /<<-?\s*["']?[A-Za-z_]\w*/, what: 'a heredoc (<<EOF)' },
  {
    keyword: /^(COPY|ADD)$/,
    re: /^(--\S+\s+)*--(link|parents|chmod|exclude)\b/,
    what: 'COPY/ADD --link, --chmod, --parents or --exclude',
  },
  {
    keyword: /^ADD$/,
    re: /^(--\S+\s+)*--(checksum|keep-git-dir)\b/,
    what: 'ADD --checksum or --keep-git-dir',
  },
  {
    keyword: /./,
    re: /\$\{?(BUILD|TARGET)(PLATFORM|OS|ARCH|VARIANT)\b/,
    what: 'an automatic platform ARG (empty without BuildKit)',
  },
];

export function buildkit(repo: Repo): Found[] {
  const text = repo.read('Dockerfile');
  if (text === null) return [];
  const hits = instructions(text).flatMap((ins) =>
    BUILDKIT_ONLY.filter((r) => r.keyword.test(ins.keyword) && r.re.test(ins.args)).map((r) => ({
      line: ins.line,
      what: r.what,
    })),
  );
  const syntax = text.split(/\r?\n/).findIndex((l) => /^#\s*syntax\s*=/i.test(l));
  if (syntax >= 0) hits.unshift({ line: syntax + 1, what: 'the # syntax= directive' });
  return hits.map((h) => ({
    id: 'dockerfile-buildkit-syntax',
    severity: 'error',
    message: `Dockerfile:${h.line} uses BuildKit-only ${h.what}; Cloud Build's default builder and docker without BuildKit reject it`,
    fix: `Rewrite Dockerfile:${h.line} with plain instructions (chmod in a RUN step, one COPY per source), or keep it in a separate Dockerfile built only with docker buildx`,
    file: 'Dockerfile',
  }));
}
