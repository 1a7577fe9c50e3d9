// The monitoring files (deploy/monitoring/) through the real gcloud: each
// command that creates them must be accepted by gcloud's own parser and
// reach the stand-in of the Monitoring and Logging APIs with the file's
// content, nothing dropped or renamed on the way.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isDeepStrictEqual, promisify } from 'node:util';
import { MONITORING_DIR, monitoringCommands } from '../../deploy/monitoring/commands.ts';
import { logging } from '../standin/logging.ts';
import { monitoring } from '../standin/monitoring.ts';
import { type Standin, startStandin } from '../standin/server.ts';

const run = promisify(execFile);
const PROJECT = 'obs-project';
const HOST = 'runway-abc-ew.a.run.app';
const read = (file: string) =>
  JSON.parse(readFileSync(join(MONITORING_DIR, file), 'utf8').replaceAll('PROJECT_ID', PROJECT));

let standin: Standin;
const failures: string[] = [];

before(async () => {
  standin = await startStandin([monitoring, logging]);
  const env = standin.env({
    CLOUDSDK_API_ENDPOINT_OVERRIDES_MONITORING: 'http://monitoring.standin/',
  });
  const tmp = mkdtempSync(join(tmpdir(), 'monitoring-'));
  // gcloud starts slowly: two at a time, for the machine's two cores.
  const queue = monitoringCommands(PROJECT, HOST, tmp);
  const worker = async () => {
    for (let argv = queue.shift(); argv; argv = queue.shift()) {
      await run('gcloud', [...argv, '--format=json'], { env }).catch((err: { stderr: string }) =>
        failures.push(`gcloud ${argv.join(' ')}: ${err.stderr}`),
      );
    }
  };
  await Promise.all([worker(), worker()]);
});

after(() => standin.close());

const created = (path: string): Record<string, unknown>[] =>
  standin.state.monitoring?.[path.replace('P', PROJECT)] ?? [];
const withoutName = ({ name: _, ...rest }: Record<string, unknown>) => rest;

test('gcloud accepts every file', () => {
  assert.deepEqual(failures, []);
});

test('the dashboard reaches the API as written, with a chart for each figure', () => {
  const [dashboard] = created('v1/projects/P/dashboards');
  assert.ok(dashboard);
  const file = read('dashboard.json');
  assert.deepEqual(withoutName(dashboard), file);
  const titles = file.mosaicLayout.tiles.map((t: { widget: { title: string } }) => t.widget.title);
  for (const figure of [
    /status class/,
    /p50 \/ p95 \/ p99/,
    /Instances/,
    /CPU/,
    /memory/,
    /Startup/,
    /pool/,
    /shed/,
    /Event loop/,
  ])
    assert.ok(
      titles.some((t: string) => figure.test(t)),
      `no chart for ${figure}`,
    );
});

test('each alert policy reaches the API as written', () => {
  const policies = created('v3/projects/P/alertPolicies').map(withoutName);
  const files = ['5xx-ratio', 'p99-latency', 'live-uptime', 'database-errors', 'slo-burn-rate'];
  assert.equal(policies.length, files.length);
  for (const f of files)
    assert.ok(
      policies.some((p) => isDeepStrictEqual(p, read(`policies/${f}.json`))),
      `policies/${f}.json did not arrive as written`,
    );
});

test('the log-based metrics read the fields of the runtime metrics line', () => {
  const metrics = created('v2/projects/P/metrics');
  assert.equal(metrics.length, 6);
  for (const m of metrics) {
    assert.deepEqual(m, read(`log-metrics/${m.name}.json`));
    assert.match(String(m.filter), /jsonPayload\.message="runtime metrics"/);
  }
});

test('the uptime check probes /live over HTTPS on the service host', () => {
  const [check] = created('v3/projects/P/uptimeCheckConfigs') as [
    { httpCheck: { path: string; useSsl: boolean }; monitoredResource: unknown },
  ];
  assert.equal(check.httpCheck.path, '/live');
  assert.equal(check.httpCheck.useSsl, true);
  assert.deepEqual(check.monitoredResource, {
    type: 'uptime_url',
    labels: { host: HOST, project_id: PROJECT },
  });
});

test('the SLOs measure Cloud Run requests, with a goal and a rolling window, and the burn-rate alert names one', () => {
  for (const f of ['slo/availability.json', 'slo/latency.json']) {
    const slo = read(f);
    assert.ok(slo.goal > 0.9 && slo.goal < 1, f);
    assert.equal(slo.rollingPeriod, `${28 * 86400}s`);
    assert.match(
      JSON.stringify(slo.serviceLevelIndicator.requestBased),
      /run\.googleapis\.com\/request_/,
    );
  }
  const burn = read('policies/slo-burn-rate.json').conditions[0].conditionThreshold.filter;
  assert.match(
    burn,
    new RegExp(
      `select_slo_burn_rate\\("projects/${PROJECT}/services/runway/serviceLevelObjectives/availability"`,
    ),
  );
  assert.equal(read('slo/service.json').basicService.serviceType, 'CLOUD_RUN');
});
