// deploy/cloudrun/service.yaml: doctor's rules for it (port, probes, probe
// paths, database connections), its shape and the app's probe routes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parse } from 'yaml';
import { offlineFindings } from '../../ops/doctor/run.ts';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/env.ts';
import { PROBE_PATHS } from '../../src/health/paths.ts';
import { repoRoot } from './helpers/scenario.ts';

const templateText = readFileSync(
  path.join(repoRoot, 'deploy', 'cloudrun', 'service.yaml'),
  'utf8',
);
const template = parse(templateText);
const container = template.spec.template.spec.containers[0];

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

describe('the client address', () => {
  it("trusts Cloud Run's front end, the one proxy before the service, and no more (the app's default trusts none)", () => {
    const env = Object.fromEntries(
      (container.env as { name: string; value?: string }[]).map((e) => [e.name, e.value]),
    );
    assert.equal(env.TRUSTED_PROXY_HOPS, '1');
    assert.equal(loadConfig({}).trustedProxyHops, 0);
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
        AUTH_DISABLED: 'true',
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
