// `runway deploy` end to end: the real gcloud against the stand-in of Cloud Run
// and Cloud Logging, and the smoke test against the real app at the URL the
// stand-in gives the new revision's tag.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/env.ts';
import { writeLog } from '../standin/logging.ts';
import {
  app,
  type Cloud,
  cloud,
  deployed,
  PROJECT,
  REGION,
  release,
  route,
  SERVICE,
  servingNow,
} from './helpers/scenario.ts';

const OLD = release('1');
const NEW = release('2');
const tagHost = `${NEW.tag}---${SERVICE}`;
type Template = { spec: { containers: Array<{ image: string }> } };
const serviceWrites = (c: Cloud) => c.s.writes().filter((w) => w.path.includes('/services'));

const gcloud = (process.env.PATH ?? '').split(':').some((d) => existsSync(path.join(d, 'gcloud')));

describe('runway deploy', { skip: gcloud ? false : 'gcloud is not installed' }, () => {
  let c: Cloud;
  let servers: Array<{ close(): Promise<unknown> }>;
  beforeEach(async () => {
    c = await cloud();
    servers = [];
  });
  afterEach(async () => {
    await Promise.all(servers.map((x) => x.close()));
    await c.close();
  });
  const serve = async (env?: Record<string, string>) => {
    const a = await app(env);
    servers.push(a);
    return a;
  };

  it('deploys a new service: the first revision serves once ready, passes its smoke test and is promoted', async () => {
    const a = await serve();
    route(c, tagHost, a.url);
    const r = await c.deploy(NEW);
    assert.equal(r.code, 0, r.stderr);
    // Created, not replaced: nothing existed, and nothing was read as an error message.
    assert.deepEqual(
      serviceWrites(c).map((w) => w.method),
      ['POST', 'PUT'],
    );
    assert.deepEqual(servingNow(c), [`${NEW.revision}=100`]);
    assert.ok(a.seen.includes('POST /api/v1/items'), a.seen.join(', '));
    assert.equal(r.outputs.previous, 'none');
    // The migration ran from the same image, as the identity and with the secret the service declares.
    const job = c.run.jobs.get('runway-migrate')?.spec.template.spec.template.spec;
    const service = c.run.services.get(SERVICE)?.spec.template.spec;
    assert.equal(job.serviceAccountName, service.serviceAccountName);
    assert.deepEqual(job.containers[0].args, ['dist/migrate.js']);
    assert.equal(job.containers[0].image, NEW.image);
    const secret = (spec: typeof job) =>
      spec.containers[0].env.find((e: { name: string }) => e.name === 'DATABASE_URL');
    assert.deepEqual(secret(job), secret(service));
    assert.equal(r.outputs.tag_url, a.url);
    assert.match(r.summary, /Deployed runway/);
    assert.match(r.summary, /Served before \| nothing \(first deploy\)/);
  });

  it('deploys over a serving revision: no traffic and a tag, smoke test at the tag URL, then 100 %', async () => {
    deployed(c, OLD, 'stable');
    const a = await serve();
    route(c, tagHost, a.url);
    const r = await c.deploy(NEW);
    assert.equal(r.code, 0, r.stderr);
    const [replace, promote] = serviceWrites(c);
    const declared = replace?.body as { spec: { traffic: unknown; template: Template } };
    // What serves keeps its share, pinned by name; another tag stays, the earlier test tag goes.
    assert.deepEqual(declared.spec.traffic, [
      { revisionName: OLD.revision, percent: 100 },
      { revisionName: OLD.revision, percent: 0, tag: 'stable' },
      { revisionName: NEW.revision, percent: 0, tag: NEW.tag },
    ]);
    assert.equal(declared.spec.template.spec.containers[0]?.image, NEW.image);
    assert.ok(a.seen.includes('GET /ready') && a.seen.includes('POST /api/v1/items'));
    assert.ok(promote, 'traffic moved after the smoke test');
    assert.deepEqual(servingNow(c), [`${NEW.revision}=100`]);
    assert.equal(r.outputs.previous, `${OLD.revision}=100%`);
  });

  it('stops at a failed migration: no revision is created, and the execution shows its own logs', async () => {
    deployed(c, OLD);
    writeLog(c.s, {
      logName: `projects/${PROJECT}/logs/run.googleapis.com%2Fstderr`,
      resource: { type: 'cloud_run_job', labels: { job_name: 'runway-migrate', location: REGION } },
      labels: { 'run.googleapis.com/execution_name': 'runway-migrate-older' },
      timestamp: new Date().toISOString(),
      severity: 'ERROR',
      textPayload: 'a line of an earlier execution',
    });
    c.run.start = (w) =>
      w.kind === 'execution'
        ? { ok: false, logs: ['migration failed: permission denied for schema public'] }
        : { ok: true };
    const r = await c.deploy(NEW);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /migrate failed: execution runway-migrate-\w+ of runway-migrate ended EXECUTION_FAILED: nothing deployed/,
    );
    assert.match(r.stderr, /migration failed: permission denied for schema public/);
    assert.doesNotMatch(r.stderr, /an earlier execution/);
    assert.deepEqual(serviceWrites(c), []);
    assert.deepEqual([...c.run.revisions.keys()], [OLD.revision]);
    assert.match(r.summary, /stopped at migrate/);
    assert.match(r.summary, new RegExp(`Serving now \\| \`${OLD.revision}=100%\``));
  });

  it('stops at a failed smoke test: traffic stays where it was, the new revision keeps its tag and 0 %', async () => {
    deployed(c, OLD);
    const broken = await serve({
      DATABASE_URL: 'postgres://smoke@127.0.0.1:9/none',
      DB_CONNECT_TIMEOUT_MS: '200',
    });
    route(c, tagHost, broken.url);
    const r = await c.deploy(NEW, '--ready-timeout', '2');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /smoke failed: GET \/ready: got HTTP 503/);
    assert.equal(serviceWrites(c).length, 1, 'the revision was created, no traffic moved');
    assert.deepEqual(servingNow(c), [`${OLD.revision}=100`]);
    assert.match(r.summary, /stopped at smoke/);
    assert.match(r.summary, new RegExp(`Serving now \\| \`${OLD.revision}=100%\``));
  });

  it('shows the logs of a revision that fails to start, and none of another revision', async () => {
    c.run.start = (w) =>
      w.name === OLD.revision
        ? { ok: true, logs: ['a line of the serving revision'] }
        : { ok: false, logs: ['Error: DATABASE_URL is required in production'] };
    deployed(c, OLD);
    const r = await c.deploy(NEW, '--step', 'revision', '--json');
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout);
    assert.equal(report.ok, false);
    assert.equal(report.step, 'revision');
    assert.match(report.error, new RegExp(`revision ${NEW.revision} did not become ready`));
    assert.match(report.error, new RegExp(`traffic stays with ${OLD.revision}=100%`));
    const logs = report.logs.join('\n');
    assert.match(logs, /ERROR Error: DATABASE_URL is required in production/);
    assert.match(logs, /STARTUP probe failed/);
    assert.doesNotMatch(logs, /a line of the serving revision/);
    assert.deepEqual(servingNow(c), [`${OLD.revision}=100`]);
  });

  it('after a failed first deploy, the summary says that nothing served before and nothing serves now', async () => {
    c.run.start = () => ({ ok: false, logs: ['Error: listen EADDRINUSE'] });
    const failed = await c.deploy(NEW, '--step', 'revision');
    assert.equal(failed.code, 1);
    const o = failed.outputs;
    // As the workflow runs it: with the revision step's outputs and the step that failed.
    const r = await c.deploy(
      NEW,
      ...['--step', 'summary', '--failed-step', 'revision'],
      ...['--revision', o.revision ?? '', '--previous', o.previous ?? ''],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.summary, /stopped at revision/);
    assert.match(r.summary, /Serving now \| nothing: no revision of runway is ready/);
    assert.match(r.summary, /Served before \| nothing \(first deploy\)/);
    assert.match(r.summary, new RegExp(`New revision \\| \`${NEW.revision}\``));
    assert.doesNotMatch(r.summary, /still serves|previous revision/i);
  });
});

describe('runway deploy, before any call', () => {
  it('refuses an image by tag, a short SHA and an unknown step with a usage error, calling nothing', async () => {
    const c = await cloud();
    const tagged = { ...NEW, image: NEW.image.replace(/@sha256:.*/, ':latest') };
    const short = { ...NEW, sha: NEW.sha.slice(0, 7) };
    for (const [r, why] of [
      [tagged, /--image must be the pushed image by digest/],
      [short, /--sha must be the full 40-character commit SHA/],
    ] as const) {
      const x = await c.deploy(r, '--step', 'migrate');
      assert.equal(x.code, 2);
      assert.match(x.stderr, why);
    }
    const bogus = await c.deploy(NEW, '--step', 'deploy');
    assert.match(bogus.stderr, /--step must be one of migrate, revision, smoke, promote, summary/);
    assert.deepEqual(c.s.calls, []);
    await c.close();
  });

  it('fills every field of service.yaml, and names a Cloud SQL instance only when there is one', () => {
    const plain = NEW.declaration();
    assert.doesNotMatch(JSON.stringify(plain), /\$\{/);
    assert.equal(plain.spec.template.spec.containers[0]?.image, NEW.image);
    const sql = 'run.googleapis.com/cloudsql-instances';
    assert.equal(plain.spec.template.metadata?.annotations?.[sql], undefined);
    const withSql = release('2', `${PROJECT}:${REGION}:runway-pg`).declaration();
    assert.equal(
      withSql.spec.template.metadata?.annotations?.[sql],
      `${PROJECT}:${REGION}:runway-pg`,
    );
  });

  it('declares a service whose production config starts: Google ID tokens from the deployer, API keys under the pepper bootstrap made', () => {
    const container = NEW.declaration().spec.template.spec.containers[0];
    // What each secret bootstrap makes holds, as the app's rules for it accept it.
    const secrets: Record<string, string> = {
      'runway-database-url': 'postgres://u:p@db/app',
      'runway-api-key-pepper': 'p'.repeat(43),
    };
    const env = Object.fromEntries(
      (container?.env ?? []).map((e) => [
        e.name,
        e.value ?? secrets[e.valueFrom?.secretKeyRef.name ?? ''],
      ]),
    );
    const config = loadConfig(env);
    assert.equal(config.environment, 'production');
    assert.match(env.AUTH_GOOGLE_SERVICE_ACCOUNTS ?? '', /^runway-deployer@/);
    assert.equal(config.apiKeyPepper, secrets['runway-api-key-pepper']);
  });
});
