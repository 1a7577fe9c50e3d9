// Canned Cloud Run state and a runner for the deploy step scripts.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FakeClis } from './fake-cli.ts';

export const repoRoot = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
);
export const SHA = '0123456789abcdef0123456789abcdef01234567';
export const DIGEST = `sha256:${'ab'.repeat(32)}`;
export const REPO = 'europe-west1-docker.pkg.dev/demo-project/runway/runway';
export const IMAGE = `${REPO}@${DIGEST}`;
export const SERVICE_URL = 'https://runway-abc123-ew.a.run.app';
export const TAG_URL = 'https://sha-0123456---runway-abc123-ew.a.run.app';

/** The service as it serves now: one revision with all traffic, plus an old test tag at 0 %. */
export const CURRENT = {
  status: {
    url: SERVICE_URL,
    traffic: [
      { revisionName: 'runway-1111111-aaaa', latestRevision: true, percent: 100 },
      {
        revisionName: 'runway-2222222-bbbb',
        percent: 0,
        tag: 'sha-2222222',
        url: 'https://sha-2222222---x',
      },
      { revisionName: 'runway-1111111-aaaa', percent: 0, tag: 'stable', url: 'https://stable---x' },
    ],
  },
};

export const AFTER_DEPLOY = {
  status: {
    url: SERVICE_URL,
    traffic: [
      { revisionName: 'runway-1111111-aaaa', percent: 100 },
      { revisionName: 'runway-0123456-t1', percent: 0, tag: 'sha-0123456', url: TAG_URL },
    ],
  },
};

export const AFTER_PROMOTE = {
  status: { url: SERVICE_URL, traffic: [{ revisionName: 'runway-0123456-t1', percent: 100 }] },
};

export const DEPLOY_ARGS = [
  '--project',
  'demo-project',
  '--region',
  'europe-west1',
  '--service',
  'runway',
  '--image',
  IMAGE,
  '--sha',
  SHA,
  '--runtime-service-account',
  'runway-runtime@demo-project.iam.gserviceaccount.com',
  '--database-url-secret',
  'runway-database-url',
  '--cloudsql-instance',
  'demo-project:europe-west1:runway-db',
  '--app-version',
  '0.1.0',
  '--revision-suffix',
  't1',
];

export const MIGRATE_ARGS = [
  '--project',
  'demo-project',
  '--region',
  'europe-west1',
  '--job',
  'runway-migrate',
  '--image',
  IMAGE,
  '--runtime-service-account',
  'runway-runtime@demo-project.iam.gserviceaccount.com',
  '--database-url-secret',
  'runway-database-url',
  '--cloudsql-instance',
  'demo-project:europe-west1:runway-db',
];

export const PROMOTE_ARGS = [
  '--project',
  'demo-project',
  '--region',
  'europe-west1',
  '--service',
  'runway',
  '--revision',
  'runway-0123456-t1',
];

export function runScript(
  fakes: FakeClis,
  script: string,
  args: string[],
  env: Record<string, string> = {},
) {
  const r = spawnSync('bash', [path.join(repoRoot, 'deploy', 'scripts', script), ...args], {
    env: fakes.env(env),
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const json = (o: unknown) => ({ stdout: JSON.stringify(o) });
