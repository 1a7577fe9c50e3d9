// Pitfall 3 (../pitfalls.ts): no BuildKit-only syntax in the root Dockerfile.
import { instructions } from '../dockerfile.ts';
import type { Repo } from '../repo.ts';
import type { Found } from '../types.ts';

/** Instruction, pattern of its arguments, what it is; flags only where they precede the command. */
const BUILDKIT_ONLY: Array<[RegExp, RegExp, string]> = [
  [/^RUN$/, /^(--\S+\s+)*--(mount|network|security)=/, 'RUN --mount/--network/--security'],
  [/^(RUN|COPY|ADD)$/, /<<-?\s*["']?[A-Za-z_]\w*/, 'a heredoc (<<EOF)'],
  [
    /^(COPY|ADD)$/,
    /^(--\S+\s+)*--(link|parents|chmod|exclude|checksum|keep-git-dir)\b/,
    'COPY/ADD --link, --chmod, --parents, --exclude, --checksum or --keep-git-dir',
  ],
  [
    /./,
    /\$\{?(BUILD|TARGET)(PLATFORM|OS|ARCH|VARIANT)\b/,
    'a platform ARG (empty without BuildKit)',
  ],
];

export function buildkit(repo: Repo): Found[] {
  const hits = instructions(repo).flatMap(({ text, keyword, args }) =>
    BUILDKIT_ONLY.filter(([k, re]) => k.test(keyword) && re.test(args)).map(([, , what]) => ({
      text,
      what,
    })),
  );
  const syntax = /^#\s*syntax\s*=.*$/im.exec(repo.read('Dockerfile') ?? '');
  if (syntax) hits.unshift({ text: syntax[0], what: 'the # syntax= directive' });
  return hits.map(({ text, what }) => ({
    id: 'dockerfile-buildkit-syntax',
    severity: 'error',
    message: `The Dockerfile uses BuildKit-only ${what} (${text.slice(0, 80)}); Cloud Build's default builder and docker without BuildKit reject it`,
    fix: 'Rewrite it with plain instructions (chmod in a RUN step, one COPY per source), or keep it in a separate Dockerfile built only with docker buildx',
    file: 'Dockerfile',
  }));
}
