// The Dockerfile builds without BuildKit (Cloud Build's default builder, plain
// docker build), runs node directly as a non-root user, and the build context
// keeps credentials out. The image itself is checked by npm run test:container.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './helpers/scenario.ts';

const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
const cacheVariant = readFileSync(path.join(repoRoot, 'Dockerfile.cache'), 'utf8');
const ignore = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim());
const instructions = (text: string) =>
  text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.trimStart().startsWith('#'));

export function buildKitOnly(text: string): string[] {
  const found: string[] = [];
  if (/^#\s*syntax=/m.test(text)) found.push('# syntax= line');
  for (const l of instructions(text)) {
    if (/^\s*RUN\s+--mount/i.test(l)) found.push(`RUN --mount: ${l.trim()}`);
    if (/<<-?\s*["']?[A-Z]+/.test(l)) found.push(`heredoc: ${l.trim()}`);
    if (/^\s*(COPY|ADD)\s+.*--link/i.test(l)) found.push(`--link: ${l.trim()}`);
    if (/^\s*(COPY|ADD)\s+.*--(chmod|parents|exclude)/i.test(l))
      found.push(`BuildKit COPY flag: ${l.trim()}`);
  }
  return found;
}

describe('Dockerfile', () => {
  it('uses no BuildKit-only syntax', () => {
    assert.deepEqual(buildKitOnly(dockerfile), []);
  });

  it('the check finds BuildKit syntax when it is there', () => {
    assert.equal(buildKitOnly(cacheVariant).length, 2);
  });

  it('differs from the cache variant only by the cache mount', () => {
    const strip = (t: string) =>
      instructions(t).map((l) => l.replace(/--mount=\S+\s+/, '').replace(' --prefer-offline', ''));
    assert.deepEqual(strip(cacheVariant), strip(dockerfile));
  });

  it('ends on distroless nodejs24 as a non-root user, starting node in exec form', () => {
    const last = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    assert.match(
      dockerfile,
      /^ARG DISTROLESS_IMAGE=gcr\.io\/distroless\/nodejs24-debian12:nonroot$/m,
    );
    assert.match(last, /^FROM \$\{DISTROLESS_IMAGE\} AS runtime$/m);
    const users = [...last.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
    assert.ok(
      users.length > 0 && !/^(0|root)(:|$)/.test(users.at(-1) as string),
      `last USER is ${users.at(-1)}`,
    );
    assert.match(last, /^ENTRYPOINT \["\/nodejs\/bin\/node"\]$/m);
    assert.match(last, /^CMD \["dist\/server\.js"\]$/m);
    assert.doesNotMatch(last, /npm (start|run)|sh -c/);
  });

  it('labels the image with the commit and the version, and has a HEALTHCHECK for local runs', () => {
    assert.match(dockerfile, /org\.opencontainers\.image\.revision="\$\{GIT_SHA\}"/);
    assert.match(dockerfile, /org\.opencontainers\.image\.version="\$\{APP_VERSION\}"/);
    assert.match(dockerfile, /HEALTHCHECK [^\n]*\\\n\s+CMD \["\/nodejs\/bin\/node"/);
  });

  it('copies only the bundle, the migrations and package.json into the runtime stages', () => {
    const copies = dockerfile.split('\n').filter((l) => l.startsWith('COPY --from=build'));
    const sources = new Set(copies.map((l) => l.split(/\s+/)[2]));
    assert.deepEqual([...sources].sort(), ['/app/dist', '/app/drizzle', '/app/package.json']);
  });
});

describe('.dockerignore', () => {
  it('keeps credentials, local state and tests out of the build context', () => {
    for (const p of [
      'gha-creds-*.json',
      '**/gha-creds-*.json',
      '*-key.json',
      'service-account*.json',
      '.env',
      '.git',
      'node_modules',
      'dist',
      'test',
    ]) {
      assert.ok(ignore.includes(p), p);
    }
  });
});
