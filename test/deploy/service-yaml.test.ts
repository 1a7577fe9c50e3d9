// deploy/cloudrun/service.yaml: doctor's rules for it (port, probes, probe
// paths, database connections), its shape, the app's probe routes, and the
// rendering for a deploy.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parse } from 'yaml';
import { RenderError, renderService } from '../../deploy/scripts/render-service.ts';
import { offlineFindings } from '../../ops/doctor/run.ts';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/env.ts';
import { PROBE_PATHS } from '../../src/health/paths.ts';
import { CURRENT, IMAGE, REPO, repoRoot, SHA } from './helpers/scenario.ts';

const templateText = readFileSync(
  path.join(repoRoot, 'deploy', 'cloudrun', 'service.yaml'),
  'utf8',
);
const template = parse(templateText);
const container = template.spec.template.spec.containers[0];

const baseRender = {
  project: 'demo-project',
  region: 'europe-west1',
  service: 'runway',
  image: IMAGE,
  sha: SHA,
  runtimeServiceAccount: 'runway-runtime@demo-project.iam.gserviceaccount.com',
  databaseUrlSecret: 'runway-database-url',
  revisionSuffix: 't1',
};

describe('service.yaml', () => {
  it('is a Knative serving v1 Service', () => {
    assert.equal(template.apiVersion, 'serving.knative.dev/v1');
    assert.equal(template.kind, 'Service');
  });

  it("passes doctor's port, probe, probe path and database connection rules (pitfalls 4, 7, 8, 10)", async () => {
    assert.deepEqual(await offlineFindings(repoRoot, [4, 7, 8, 10]), []);
  });

  it('sets concurrency, CPU, memory, scaling, CPU boost, timeout and execution environment', () => {
    const a = template.spec.template.metadata.annotations;
    assert.ok(Number(a['autoscaling.knative.dev/minScale']) >= 0);
    assert.ok(Number(a['autoscaling.knative.dev/maxScale']) >= 1);
    assert.equal(a['run.googleapis.com/startup-cpu-boost'], 'true');
    assert.match(a['run.googleapis.com/execution-environment'], /^gen[12]$/);
    assert.ok(template.spec.template.spec.containerConcurrency > 0);
    assert.ok(template.spec.template.spec.timeoutSeconds > 0);
    assert.ok(container.resources.limits.cpu);
    assert.match(container.resources.limits.memory, /^\d+(Mi|Gi)$/);
  });
});

describe('probe paths are routes of the app', () => {
  let app: FastifyInstance;
  before(async () => {
    // A PostgreSQL URL that nothing answers: building the app opens no connection.
    app = await buildApp(
      loadConfig({
        ENVIRONMENT: 'test',
        DATABASE_URL: 'postgres://probe@127.0.0.1:9/none',
        LOG_LEVEL: 'silent',
      }),
    );
    await app.ready();
  });
  after(() => app.close());

  it('has GET routes for both probe paths, and /live answers without a database', async () => {
    for (const url of [PROBE_PATHS.live, PROBE_PATHS.ready])
      assert.ok(app.hasRoute({ method: 'GET', url }), url);
    const live = await app.inject({ url: PROBE_PATHS.live });
    assert.equal(live.statusCode, 200);
  });
});

describe('render-service.ts', () => {
  it('fills every placeholder and pins the image by digest', () => {
    const r = renderService(templateText, {
      ...baseRender,
      current: CURRENT,
      cloudsqlInstance: 'demo-project:europe-west1:db',
    });
    const lines = r.yaml.split('\n').filter((l) => !l.trimStart().startsWith('#'));
    assert.deepEqual(
      lines.filter((l) => l.includes('${')),
      [],
    );
    const svc = parse(r.yaml);
    assert.equal(svc.metadata.name, 'runway');
    assert.equal(svc.spec.template.metadata.name, 'runway-0123456-t1');
    assert.equal(svc.spec.template.spec.containers[0].image, IMAGE);
    assert.equal(
      svc.spec.template.spec.serviceAccountName,
      'runway-runtime@demo-project.iam.gserviceaccount.com',
    );
    assert.equal(
      svc.spec.template.metadata.annotations['run.googleapis.com/cloudsql-instances'],
      'demo-project:europe-west1:db',
    );
    assert.equal(r.tag, 'sha-0123456');
  });

  it('drops the Cloud SQL annotation without an instance, and adds env and secrets', () => {
    const r = renderService(templateText, {
      ...baseRender,
      env: ['LOG_LEVEL=debug'],
      secrets: ['API_KEY=runway-api-key:3'],
    });
    const svc = parse(r.yaml);
    assert.equal(
      svc.spec.template.metadata.annotations['run.googleapis.com/cloudsql-instances'],
      undefined,
    );
    const env = svc.spec.template.spec.containers[0].env;
    assert.deepEqual(
      env.find((e: { name: string }) => e.name === 'LOG_LEVEL'),
      { name: 'LOG_LEVEL', value: 'debug' },
    );
    assert.deepEqual(
      env.find((e: { name: string }) => e.name === 'API_KEY'),
      {
        name: 'API_KEY',
        valueFrom: { secretKeyRef: { name: 'runway-api-key', key: '3' } },
      },
    );
  });

  it('refuses a mutable tag, PORT in env and a bad Cloud SQL name', () => {
    assert.throws(
      () => renderService(templateText, { ...baseRender, image: `${REPO}:latest` }),
      RenderError,
    );
    assert.throws(
      () => renderService(templateText, { ...baseRender, image: `${REPO}:${SHA}` }),
      /by digest/,
    );
    assert.throws(
      () => renderService(templateText, { ...baseRender, env: ['PORT=9090'] }),
      /set by Cloud Run/,
    );
    assert.throws(
      () => renderService(templateText, { ...baseRender, cloudsqlInstance: 'db' }),
      /PROJECT:REGION:INSTANCE/,
    );
  });
});
