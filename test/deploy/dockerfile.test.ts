// The Dockerfile and its build context pass doctor's rules (no BuildKit-only
// syntax, no credentials in the context or in git), run node directly as a
// non-root user, and leave local state out of the context. The image itself
// is checked by npm run test:container.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { offlineFindings } from '../../ops/doctor/run.ts';
import { repoRoot } from './helpers/scenario.ts';

const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
const ignore = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim());

describe('Dockerfile', () => {
  it("passes doctor's BuildKit and credential rules (pitfalls 3 and 9)", async () => {
    assert.deepEqual(await offlineFindings(repoRoot, [3, 9]), []);
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
  it('keeps local state and tests out of the build context', () => {
    for (const p of ['.git', 'node_modules', 'dist', 'test']) {
      assert.ok(ignore.includes(p), p);
    }
  });
});
