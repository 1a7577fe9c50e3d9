// The monitoring files (deploy/monitoring/) as `bootstrap --with-monitoring`
// leaves them in a project: the real gcloud (and, for the SLOs, the API call
// bootstrap makes) took each file to the stand-in of the Monitoring and
// Logging APIs, and each arrived as written, nothing dropped or renamed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { monitoringFiles } from '../../ops/bootstrap/monitoring.ts';
import { bootstrapped, NOTIFY, PROJECT, PROJECT_NUMBER, REGION } from '../ops/helpers/cloud.ts';

type Json = Record<string, unknown>;
const files = (folder: string) => Object.fromEntries(monitoringFiles(folder, PROJECT, REGION));
const withoutName = ({ name: _, ...rest }: Json) => rest;

async function created(path: string): Promise<Json[]> {
  const { result, state } = await bootstrapped();
  assert.equal(result.code, 0, result.stderr);
  return state.monitoring?.[path.replace('P', PROJECT)] ?? [];
}

describe('monitoring files', { concurrency: true }, () => {
  it('the dashboard arrives as written, with a chart for each figure', async () => {
    const [dashboard] = await created('v1/projects/P/dashboards');
    const file = files('.').dashboard as { mosaicLayout: { tiles: Array<{ widget: Json }> } };
    assert.deepEqual(withoutName(dashboard ?? {}), file);
    const titles = file.mosaicLayout.tiles.map((t) => String(t.widget.title));
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
        titles.some((t) => figure.test(t)),
        `no chart for ${figure}`,
      );
  });

  it('each alert policy arrives as written, notifying the --notify address', async () => {
    const [channel] = await created('v3/projects/P/notificationChannels');
    assert.deepEqual(channel?.labels, { email_address: NOTIFY });
    assert.equal(channel?.type, 'email');
    const policies = (await created('v3/projects/P/alertPolicies')).map(withoutName);
    const wanted = files('policies');
    assert.deepEqual(Object.keys(wanted), [
      '5xx-ratio',
      'database-errors',
      'live-uptime',
      'p99-latency',
      'slo-burn-rate',
    ]);
    assert.equal(policies.length, Object.keys(wanted).length);
    for (const [id, file] of Object.entries(wanted))
      assert.ok(
        policies.some((p) =>
          isDeepStrictEqual(p, { ...file, notificationChannels: [channel?.name] }),
        ),
        `policies/${id}.json did not arrive as written`,
      );
  });

  it('the log-based metrics read the fields of the runtime metrics line', async () => {
    const metrics = await created('v2/projects/P/metrics');
    assert.equal(metrics.length, 6);
    for (const m of metrics) {
      assert.deepEqual(m, files('log-metrics')[m.name as string]);
      assert.match(String(m.filter), /jsonPayload\.message="runtime metrics"/);
    }
  });

  it("the uptime check probes /live over HTTPS on the service's URL, with an ID token", async () => {
    const [check] = (await created('v3/projects/P/uptimeCheckConfigs')) as Array<{
      httpCheck: { path: string; useSsl: boolean; serviceAgentAuthentication: unknown };
      monitoredResource: unknown;
    }>;
    assert.equal(check?.httpCheck.path, '/live');
    assert.equal(check?.httpCheck.useSsl, true);
    assert.deepEqual(check?.httpCheck.serviceAgentAuthentication, { type: 'OIDC_TOKEN' });
    assert.deepEqual(check?.monitoredResource, {
      type: 'uptime_url',
      labels: { host: `runway-${PROJECT_NUMBER}.${REGION}.run.app`, project_id: PROJECT },
    });
  });

  it('the SLOs measure Cloud Run requests of the service, and the burn-rate alert names one', async () => {
    const [service] = await created('v3/projects/P/services');
    assert.deepEqual(service, {
      ...files('slo').service,
      name: `projects/${PROJECT}/services/runway`,
    });
    assert.deepEqual((files('slo').service as { basicService: Json }).basicService, {
      serviceType: 'CLOUD_RUN',
      serviceLabels: { service_name: 'runway', location: REGION },
    });
    const slos = await created('v3/projects/P/services/runway/serviceLevelObjectives');
    assert.equal(slos.length, 2);
    for (const id of ['availability', 'latency']) {
      const slo = files('slo')[id] as Json & { goal: number; serviceLevelIndicator: Json };
      assert.deepEqual(
        slos.find(
          (s) => s.name === `projects/${PROJECT}/services/runway/serviceLevelObjectives/${id}`,
        ),
        { ...slo, name: `projects/${PROJECT}/services/runway/serviceLevelObjectives/${id}` },
      );
      assert.ok(slo.goal > 0.9 && slo.goal < 1, id);
      assert.equal(slo.rollingPeriod, `${28 * 86400}s`);
      assert.match(JSON.stringify(slo.serviceLevelIndicator), /run\.googleapis\.com\/request_/);
    }
    const burn = files('policies')['slo-burn-rate'] as {
      conditions: Array<{ conditionThreshold: { filter: string } }>;
    };
    assert.match(
      burn.conditions[0]?.conditionThreshold.filter ?? '',
      new RegExp(
        `select_slo_burn_rate\\("projects/${PROJECT}/services/runway/serviceLevelObjectives/availability"`,
      ),
    );
  });
});
