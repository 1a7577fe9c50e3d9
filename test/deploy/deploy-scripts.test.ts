// The deploy step scripts, driven with a fake gcloud/docker on PATH: what they
// call, in which order, and that every failure leaves traffic where it was.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { FakeClis } from './helpers/fake-cli.ts';
import {
  AFTER_DEPLOY,
  AFTER_PROMOTE,
  CURRENT,
  DEPLOY_ARGS,
  DIGEST,
  IMAGE,
  json,
  MIGRATE_ARGS,
  PROMOTE_ARGS,
  REPO,
  runScript,
  SHA,
  TAG_URL,
} from './helpers/scenario.ts';

describe('migrate.sh', () => {
  it('runs node dist/migrate.js as a Cloud Run Job from the image by digest and waits for it', () => {
    const f = new FakeClis({ gcloud: [{ match: '^run jobs deploy', replies: [{}] }] });
    const r = runScript(f, 'migrate.sh', MIGRATE_ARGS);
    assert.equal(r.code, 0, r.stderr);
    const [call] = f.calls('gcloud');
    assert.ok(call);
    const a = call.argv;
    assert.deepEqual(a.slice(0, 4), ['run', 'jobs', 'deploy', 'runway-migrate']);
    assert.equal(a[a.indexOf('--image') + 1], IMAGE);
    assert.equal(a[a.indexOf('--args') + 1], 'dist/migrate.js');
    assert.equal(a[a.indexOf('--set-secrets') + 1], 'DATABASE_URL=runway-database-url:latest');
    assert.equal(
      a[a.indexOf('--set-cloudsql-instances') + 1],
      'demo-project:europe-west1:runway-db',
    );
    assert.equal(a[a.indexOf('--max-retries') + 1], '0');
    for (const flag of ['--execute-now', '--wait', '--quiet']) assert.ok(a.includes(flag), flag);
  });

  it('exits 20 with the reason and the log command when the job fails', () => {
    const f = new FakeClis({
      gcloud: [
        { match: '^run jobs deploy', replies: [{ exit: 1, stderr: 'ERROR: execution failed' }] },
      ],
    });
    const r = runScript(f, 'migrate.sh', MIGRATE_ARGS);
    assert.equal(r.code, 20);
    assert.match(r.stderr, /nothing was deployed and traffic is unchanged/);
    assert.match(r.stderr, /gcloud logging read/);
  });

  it('refuses an image given by a mutable tag, before calling gcloud', () => {
    const f = new FakeClis({ gcloud: [{ match: '.', replies: [{}] }] });
    const args = MIGRATE_ARGS.map((x) => (x === IMAGE ? `${REPO}:latest` : x));
    const r = runScript(f, 'migrate.sh', args);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /by digest/);
    assert.equal(f.calls().length, 0);
  });

  it('names the missing flag', () => {
    const f = new FakeClis({ gcloud: [] });
    const r = runScript(f, 'migrate.sh', ['--project', 'p']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--region is required/);
  });
});

describe('deploy-revision.sh', () => {
  it('creates the tagged revision with 0 % and pins the serving revision by name', () => {
    const f = new FakeClis({
      gcloud: [
        { match: '^run services describe', replies: [json(CURRENT), json(AFTER_DEPLOY)] },
        { match: '^run services replace', replies: [{}] },
      ],
    });
    const r = runScript(f, 'deploy-revision.sh', [...DEPLOY_ARGS, '--workdir', `${f.dir}/work`]);
    assert.equal(r.code, 0, r.stderr);
    const calls = f.calls('gcloud').map((c) => c.argv.slice(0, 3).join(' '));
    assert.deepEqual(calls, [
      'run services describe',
      'run services replace',
      'run services describe',
    ]);
    const replace = f.calls('gcloud')[1]?.argv ?? [];
    const svc = parse(readFileSync(replace[3] as string, 'utf8'));
    assert.deepEqual(svc.spec.traffic, [
      { revisionName: 'runway-1111111-aaaa', percent: 100 },
      { revisionName: 'runway-1111111-aaaa', percent: 0, tag: 'stable' },
      { revisionName: 'runway-0123456-t1', percent: 0, tag: 'sha-0123456' },
    ]);
    assert.equal(svc.spec.template.metadata.name, 'runway-0123456-t1');
    assert.equal(svc.spec.template.spec.containers[0].image, IMAGE);
    assert.equal(
      svc.spec.template.metadata.annotations['run.googleapis.com/cloudsql-instances'],
      'demo-project:europe-west1:runway-db',
    );
    assert.match(r.stdout, new RegExp(`^tag_url=${TAG_URL}$`, 'm'));
    assert.match(r.stdout, /^revision=runway-0123456-t1$/m);
    assert.match(r.stdout, /^previous=runway-1111111-aaaa=100%$/m);
  });

  it('on a first deploy (service not found) gives the new revision all traffic', () => {
    const svcState = {
      status: {
        url: 'u',
        traffic: [
          { revisionName: 'runway-0123456-t1', percent: 100, tag: 'sha-0123456', url: TAG_URL },
        ],
      },
    };
    const rules = [
      {
        match: '^run services describe',
        replies: [
          {
            exit: 1,
            stderr:
              'ERROR: (gcloud.run.services.describe) Cannot find service [runway]: could not be found.',
          },
          json(svcState),
        ],
      },
      { match: '^run services replace', replies: [{}] },
    ];
    const g = new FakeClis({ gcloud: rules });
    const r = runScript(g, 'deploy-revision.sh', [...DEPLOY_ARGS, '--workdir', `${g.dir}/work`]);
    assert.equal(r.code, 0, r.stderr);
    const replace = g.calls('gcloud')[1]?.argv ?? [];
    const svc = parse(readFileSync(replace[3] as string, 'utf8'));
    assert.deepEqual(svc.spec.traffic, [
      { revisionName: 'runway-0123456-t1', percent: 100, tag: 'sha-0123456' },
    ]);
  });

  it('exits 31 and says what still serves when the revision fails to start', () => {
    const f = new FakeClis({
      gcloud: [
        { match: '^run services describe', replies: [json(CURRENT)] },
        {
          match: '^run services replace',
          replies: [{ exit: 1, stderr: 'Revision is not ready: startup probe failed' }],
        },
      ],
    });
    const r = runScript(f, 'deploy-revision.sh', [...DEPLOY_ARGS, '--workdir', `${f.dir}/work`]);
    assert.equal(r.code, 31);
    assert.match(r.stderr, /Traffic is unchanged: runway-1111111-aaaa=100%/);
    assert.ok(!f.calls('gcloud').some((c) => c.argv.includes('update-traffic')));
  });

  it('exits 30 with the fix when the service cannot be read', () => {
    const f = new FakeClis({
      gcloud: [
        {
          match: '^run services describe',
          replies: [{ exit: 1, stderr: 'PERMISSION_DENIED: Permission run.services.get denied' }],
        },
      ],
    });
    const r = runScript(f, 'deploy-revision.sh', [...DEPLOY_ARGS, '--workdir', `${f.dir}/work`]);
    assert.equal(r.code, 30);
    assert.match(r.stderr, /roles\/run\.admin/);
    assert.equal(f.calls('gcloud').length, 1);
  });

  it('refuses :latest before touching the service', () => {
    const f = new FakeClis({
      gcloud: [{ match: '^run services describe', replies: [json(CURRENT)] }],
    });
    const args = DEPLOY_ARGS.map((x) => (x === IMAGE ? `${REPO}:latest` : x));
    const r = runScript(f, 'deploy-revision.sh', [...args, '--workdir', `${f.dir}/work`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /by digest/);
    assert.ok(!f.calls('gcloud').some((c) => c.argv[2] === 'replace'));
  });
});

describe('promote.sh', () => {
  it('moves 100 % to the tested revision and checks it', () => {
    const f = new FakeClis({
      gcloud: [
        { match: '^run services update-traffic', replies: [{}] },
        { match: '^run services describe', replies: [json(AFTER_PROMOTE)] },
      ],
    });
    const r = runScript(f, 'promote.sh', PROMOTE_ARGS);
    assert.equal(r.code, 0, r.stderr);
    const a = f.calls('gcloud')[0]?.argv ?? [];
    assert.equal(a[a.indexOf('--to-revisions') + 1], 'runway-0123456-t1=100');
  });

  it('exits 40 when the traffic did not move', () => {
    const f = new FakeClis({
      gcloud: [
        { match: '^run services update-traffic', replies: [{}] },
        { match: '^run services describe', replies: [json(AFTER_DEPLOY)] },
      ],
    });
    const r = runScript(f, 'promote.sh', PROMOTE_ARGS);
    assert.equal(r.code, 40);
    assert.match(r.stderr, /serves 0 % instead of 100 %/);
  });
});

describe('build-push.sh', () => {
  const args = ['--image-repo', REPO, '--sha', SHA, '--version', '0.1.0'];

  it('builds with the commit SHA as tag and label, pushes, and prints the digest', () => {
    const f = new FakeClis({
      docker: [
        { match: '^build ', replies: [{}] },
        { match: '^push ', replies: [{}] },
        {
          match: '^inspect ',
          replies: [{ stdout: `other.example/x@sha256:${'0'.repeat(64)}\n${REPO}@${DIGEST}\n` }],
        },
      ],
    });
    const r = runScript(f, 'build-push.sh', [
      ...args,
      '--context',
      f.dir,
      '--dockerfile',
      `${f.dir}/recorder.cjs`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [build, push] = f.calls('docker');
    assert.ok(build?.argv.includes(`${REPO}:${SHA}`));
    assert.ok(build?.argv.includes(`GIT_SHA=${SHA}`));
    assert.ok(!build?.argv.some((x) => x.endsWith(':latest')));
    assert.deepEqual(push?.argv, ['push', `${REPO}:${SHA}`]);
    assert.match(r.stdout, new RegExp(`^image=${REPO}@${DIGEST}$`, 'm'));
    assert.match(r.stdout, new RegExp(`^digest=${DIGEST}$`, 'm'));
  });

  it('exits 10 and pushes nothing when the build fails', () => {
    const f = new FakeClis({
      docker: [
        { match: '^build ', replies: [{ exit: 1 }] },
        { match: '.', replies: [{}] },
      ],
    });
    const r = runScript(f, 'build-push.sh', [
      ...args,
      '--context',
      f.dir,
      '--dockerfile',
      `${f.dir}/recorder.cjs`,
    ]);
    assert.equal(r.code, 10);
    assert.deepEqual(
      f.calls('docker').map((c) => c.argv[0]),
      ['build'],
    );
  });

  it('wants the full commit SHA', () => {
    const f = new FakeClis({ docker: [] });
    const r = runScript(f, 'build-push.sh', ['--image-repo', REPO, '--sha', 'abc123']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /40-character/);
  });
});
