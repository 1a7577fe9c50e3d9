// `runway deploy --target vm`: the real gcloud against the stand-in of Compute
// Engine and Cloud Logging. What runs on the VM is reduced to what the rollout
// sees of it: on each new `runway-image` the agent reports the digest ready in
// the guest attributes, or `failed` with the previous one still serving; the
// /ready behind Caddy is the real app's.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { runCli } from '../standin/cli.ts';
import { addProject, cloudresourcemanager } from '../standin/cloudresourcemanager.ts';
import { compute, metadataOf, onMetadata } from '../standin/compute.ts';
import { logging, writeLog } from '../standin/logging.ts';
import { type Standin, startStandin } from '../standin/server.ts';
import { serviceusage } from '../standin/serviceusage.ts';
import { app } from './helpers/scenario.ts';

const PROJECT = 'demo-project';
const ZONE = 'us-central1-b';
const KEY = `zones/${ZONE}/instances/runway`;
const image = (hex: string) =>
  `us-central1-docker.pkg.dev/${PROJECT}/runway/runway@sha256:${hex.repeat(64)}`;
const OLD = image('1');
const NEW = image('2');

/** The VM as bootstrap left it, serving `serving`; its agent fails the images in `fails`. */
async function vm(serving: string | undefined, fails: string[] = []) {
  const s = await startStandin([cloudresourcemanager, serviceusage, compute, logging]);
  addProject(s, PROJECT, '42');
  s.state.enabled = ['compute.googleapis.com'];
  const items = { 'enable-guest-attributes': 'TRUE', 'runway-domain': '' };
  const link = `http://compute.standin/compute/v1/projects/${PROJECT}/${KEY}`;
  s.state.compute.resources.set(KEY, {
    kind: 'compute#instance',
    id: '4242',
    name: 'runway',
    zone: `http://compute.standin/compute/v1/projects/${PROJECT}/zones/${ZONE}`,
    status: 'RUNNING',
    selfLink: link,
    networkInterfaces: [{ accessConfigs: [{ natIP: '203.0.113.10' }] }],
    metadata: {
      fingerprint: 'fp-1',
      items: Object.entries({ ...items, ...(serving ? { 'runway-image': serving } : {}) }).map(
        ([key, value]) => ({ key, value }),
      ),
    },
  });
  if (serving) s.state.compute.guest.set(KEY, { 'runway/image': serving, 'runway/state': 'ready' });
  let last = serving;
  onMetadata(s, (i, key) => {
    const wanted = metadataOf(i)['runway-image'];
    if (wanted === last) return;
    last = wanted;
    // The agent acts a moment after the change, as the metadata server's wait returns.
    setTimeout(() => {
      const failed = fails.includes(wanted as string);
      const now = s.state.compute.guest.get(key) ?? {};
      s.state.compute.guest.set(
        key,
        failed
          ? { ...now, 'runway/state': 'failed: the migration exited with 1' }
          : { 'runway/image': wanted, 'runway/state': 'ready' },
      );
      writeLog(s, {
        logName: `projects/${PROJECT}/logs/runway-agent`,
        resource: { type: 'gce_instance', labels: { instance_id: '4242', zone: ZONE } },
        timestamp: new Date().toISOString(),
        severity: failed ? 'ERROR' : 'INFO',
        textPayload: failed
          ? `migrate ${wanted}: relation "items" already exists`
          : `serving ${wanted}`,
      });
    }, 50);
  });
  return s;
}

const imageSet = (s: Standin) =>
  s
    .writes()
    .filter((w) => w.path.endsWith('/setMetadata'))
    .map(
      (w) =>
        (w.body as { items: Array<{ key: string; value: string }> }).items.find(
          (i) => i.key === 'runway-image',
        )?.value,
    );

describe('runway deploy --target vm', () => {
  let servers: Array<{ close(): Promise<unknown> }>;
  let dir: string;
  beforeEach(() => {
    servers = [];
    dir = mkdtempSync(path.join(tmpdir(), 'runway-deploy-vm-'));
  });
  afterEach(() => Promise.all(servers.map((x) => x.close())));
  const deploy = async (s: Standin, url: string, ...flags: string[]) => {
    const files = { GITHUB_OUTPUT: `${dir}/output`, GITHUB_STEP_SUMMARY: `${dir}/summary` };
    const argv = ['deploy', '--target', 'vm', '--project', PROJECT, '--image', NEW, '--url', url];
    const r = await runCli([...argv, '--ready-timeout', '5', ...flags], s, files);
    const read = (f: string) => readFileSync(f, 'utf8');
    return { ...r, outputs: read(files.GITHUB_OUTPUT), summary: read(files.GITHUB_STEP_SUMMARY) };
  };
  const serve = async (env?: Record<string, string>) => {
    const a = await app(env);
    servers.push(a);
    return a;
  };

  it('rolls the VM to the new digest with the environment service.yaml declares, then checks /ready', async () => {
    const s = await vm(OLD);
    const a = await serve();
    try {
      const r = await deploy(s, a.url);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(imageSet(s), [NEW]);
      const meta = metadataOf(s.state.compute.resources.get(KEY));
      assert.match(meta['runway-env'] ?? '', /^ENVIRONMENT=production$/m);
      assert.match(meta['runway-env'] ?? '', /^GOOGLE_CLOUD_PROJECT=demo-project$/m);
      assert.doesNotMatch(meta['runway-env'] ?? '', /DATABASE_URL/);
      assert.ok(a.seen.includes('GET /ready'));
      assert.match(r.outputs, new RegExp(`^previous=${OLD.replace(/[.$]/g, '\\$&')}$`, 'm'));
      assert.match(r.summary, /Deployed runway to its VM ✅/);
    } finally {
      await s.close();
    }
  });

  it('rolls back to the previous digest when the VM reports the new one failed, and shows its log', async () => {
    const s = await vm(OLD, [NEW]);
    const a = await serve();
    try {
      const r = await deploy(s, a.url, '--json');
      assert.equal(r.code, 1);
      const report = JSON.parse(r.stdout);
      assert.match(
        report.error,
        /the VM reports failed: the migration exited with 1; rolled back: .*@sha256:1{64} serves again/,
      );
      assert.match(report.logs.join('\n'), /ERROR migrate .*: relation "items" already exists/);
      assert.deepEqual(imageSet(s), [NEW, OLD]);
      assert.deepEqual(s.state.compute.guest.get(KEY), {
        'runway/image': OLD,
        'runway/state': 'ready',
      });
      assert.match(r.summary, /Rollout of runway to its VM failed ❌/);
    } finally {
      await s.close();
    }
  });

  it('rolls back when /ready through Caddy fails although the VM reports ready', async () => {
    const s = await vm(OLD);
    const broken = await serve({
      DATABASE_URL: 'postgres://smoke@127.0.0.1:9/none',
      DB_CONNECT_TIMEOUT_MS: '200',
    });
    try {
      const r = await deploy(s, broken.url);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /rollout failed: GET .*\/ready through Caddy: HTTP 503; rolled back/);
      assert.deepEqual(imageSet(s), [NEW, OLD]);
    } finally {
      await s.close();
    }
  });

  it('after a failed first rollout, says that nothing served before', async () => {
    const s = await vm(undefined, [NEW]);
    const a = await serve();
    try {
      const r = await deploy(s, a.url);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /the VM reports failed: .*; nothing served before it/);
      assert.deepEqual(imageSet(s), [NEW]);
      assert.match(r.summary, /Served before \| nothing \(first deploy\)/);
    } finally {
      await s.close();
    }
  });

  it('refuses an image by tag with a usage error, calling nothing', async () => {
    const s = await vm(OLD);
    try {
      const argv = ['deploy', '--target', 'vm', '--project', PROJECT];
      const r = await runCli([...argv, '--image', NEW.replace(/@sha256:.*/, ':latest')], s);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--image must be the pushed image by digest/);
      assert.deepEqual(s.calls, []);
    } finally {
      await s.close();
    }
  });
});
