// bootstrap --with-monitoring: runway's monitoring (deploy/monitoring/) in the
// project. Each resource is matched by a stable key and written when it is
// missing or differs from its file: the email channel by its address, the
// log-based metrics by name, the dashboard, the uptime check and the alert
// policies by display name, Service Monitoring's service and SLOs by id. The
// files go to gcloud on stdin; the service and SLOs, for which gcloud has no
// command, to the API (ops/gcloud/rest.ts). What a policy names (a metric, the
// uptime check, an SLO, the channel) is written before the policies.
import { readdirSync, readFileSync } from 'node:fs';
import {
  emailChannel,
  type Monitoring,
  NO_MONITORING,
  type Resource,
} from '../gcloud/monitoring.ts';
import type { Rest } from '../gcloud/rest.ts';
import { cmd } from '../gcloud/run.ts';
import type { Step, Write } from './plan.ts';

type Json = Record<string, unknown>;

const DIR = new URL('../../deploy/monitoring/', import.meta.url);
/** The service the files watch: their filters and the SLOs' paths name it. */
export const MONITORED_SERVICE = 'runway';
/** The uptime check's display name; policies/live-uptime.json selects its results by it. */
export const UPTIME_CHECK = 'runway-live';

/** The JSON files of a folder of deploy/monitoring/, by id (the file's name), PROJECT_ID and REGION filled in. */
export function monitoringFiles(folder: string, project: string, region: string): [string, Json][] {
  const dir = new URL(`${folder}/`, DIR);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const text = readFileSync(new URL(f, dir), 'utf8');
      return [
        f.slice(0, -'.json'.length),
        JSON.parse(text.replaceAll('PROJECT_ID', project).replaceAll('REGION', region)),
      ];
    });
}

/**
 * Whether what Google holds says everything the file says. Google adds
 * fields (names, etags, records), leaves out those at their default (0,
 * false, "", []) and writes 64-bit integers as strings.
 */
export function covers(have: unknown, want: unknown): boolean {
  if (Array.isArray(want))
    return want.length === 0
      ? have === undefined || (Array.isArray(have) && have.length === 0)
      : Array.isArray(have) &&
          have.length === want.length &&
          want.every((w, k) => covers(have[k], w));
  if (want && typeof want === 'object') {
    if (have !== undefined && (!have || typeof have !== 'object')) return false;
    return Object.entries(want).every(([k, w]) => covers((have as Json | undefined)?.[k], w));
  }
  if (have === undefined) return want === 0 || want === false || want === '';
  return have === want || (typeof want === 'number' && Number(have) === want);
}

/** Whether the project holds runway's monitoring, and the address its policies notify. */
export function monitoringHeld(m: Monitoring | undefined, project: string, region: string) {
  const titles = new Set(
    monitoringFiles('policies', project, region).map(([, f]) => f.displayName),
  );
  const policies = (m?.policies ?? []).filter((x) => titles.has(x.displayName));
  if (!policies.length && !m?.uptimeChecks.some((x) => x.displayName === UPTIME_CHECK))
    return undefined;
  const notified = policies.flatMap((x) => (x.notificationChannels as string[] | undefined) ?? []);
  return { notify: m?.channels.find((c) => notified.includes(c.name))?.labels?.email_address };
}

export const monitoring: Step = (add, s, o, n, i) => {
  if (!o.withMonitoring) return;
  const m = s.monitoring ?? NO_MONITORING;
  const p = `--project=${o.project}`;
  const files = (folder: string) => monitoringFiles(folder, o.project, o.region);
  /** A resource made from a file: created when nothing has its key, replaced when it differs. */
  const put = (
    what: string,
    have: Resource | undefined,
    want: Json,
    create: string[] | Rest,
    update: (name: string) => string[] | Rest,
    stdin: Write['stdin'] = () => JSON.stringify(want),
  ) => {
    const rest = !Array.isArray(create);
    if (!have) add(`create ${what}`, create, rest ? undefined : stdin);
    else if (!covers(have, want))
      add(`update ${what} to match its file`, update(have.name), rest ? undefined : stdin);
  };
  const gcloud = (words: string, ...args: string[]) => cmd(words, ...args, p, '--format=none');

  const channel = emailChannel(m.channels, o.notify);
  if (!channel)
    add(
      `create the email notification channel for ${o.notify}`,
      gcloud(
        'beta monitoring channels create',
        `--display-name=${n.service} alerts`,
        '--type=email',
        `--channel-labels=email_address=${o.notify}`,
      ),
    );
  for (const [id, metric] of files('log-metrics'))
    put(
      `the log-based metric ${id}`,
      m.metrics.find((x) => x.name === metric.name),
      metric,
      gcloud('logging metrics create', id, '--config-from-file=-'),
      (name) => gcloud('logging metrics update', name, '--config-from-file=-'),
    );
  for (const [, dashboard] of files('.'))
    put(
      `the dashboard "${dashboard.displayName}"`,
      m.dashboards.find((x) => x.displayName === dashboard.displayName),
      dashboard,
      gcloud('monitoring dashboards create', '--config-from-file=-'),
      (name) => gcloud('monitoring dashboards update', name, '--config-from-file=-'),
    );

  // Cloud Run's deterministic URL: known before the first deploy. A private
  // service lets the check in with an ID token of Monitoring's service agent.
  const host = `${n.service}-${i.projectNumber}.${o.region}.run.app`;
  const check = ['--path=/live', '--period=1', '--timeout=10', '--service-agent-auth=oidc-token'];
  const uptime = m.uptimeChecks.find((x) => x.displayName === UPTIME_CHECK);
  const checked = {
    httpCheck: { path: '/live', useSsl: true, serviceAgentAuthentication: { type: 'OIDC_TOKEN' } },
    period: '60s',
    timeout: '10s',
  };
  if (!uptime)
    add(
      `create the uptime check ${UPTIME_CHECK} on the service's /live`,
      gcloud(
        'monitoring uptime create',
        UPTIME_CHECK,
        '--resource-type=uptime-url',
        `--resource-labels=host=${host},project_id=${o.project}`,
        '--protocol=https',
        ...check,
      ),
    );
  else if (!covers(uptime, checked))
    add(
      `update the uptime check ${UPTIME_CHECK} to probe /live every minute`,
      gcloud('monitoring uptime update', uptime.name.split('/').at(-1) as string, ...check),
    );

  const services = `v3/projects/${o.project}/services`;
  const slos = `${services}/${MONITORED_SERVICE}/serviceLevelObjectives`;
  const fields = (want: Json) => `updateMask=${Object.keys(want).join(',')}`;
  // The service before its SLOs.
  const slo = files('slo').sort(([a], [b]) => Number(b === 'service') - Number(a === 'service'));
  for (const [id, want] of slo) {
    const service = id === 'service';
    put(
      service ? `the Service Monitoring service ${MONITORED_SERVICE}` : `the SLO ${id}`,
      service
        ? m.services.find((x) => x.name.endsWith(`/services/${MONITORED_SERVICE}`))
        : m.slos.find((x) => x.name.endsWith(`/serviceLevelObjectives/${id}`)),
      want,
      service
        ? { method: 'POST', path: `${services}?serviceId=${MONITORED_SERVICE}`, body: want }
        : { method: 'POST', path: `${slos}?serviceLevelObjectiveId=${id}`, body: want },
      () =>
        service
          ? {
              method: 'PATCH',
              path: `${services}/${MONITORED_SERVICE}?${fields(want)}`,
              body: want,
            }
          : { method: 'PATCH', path: `${slos}/${id}?${fields(want)}`, body: want },
    );
  }

  // A channel made in this run has a name only once it exists: the policies read it then.
  for (const [, policy] of files('policies'))
    put(
      `the alert policy "${policy.displayName}"`,
      m.policies.find((x) => x.displayName === policy.displayName),
      { ...policy, notificationChannels: [channel?.name ?? 'NEW_CHANNEL'] },
      gcloud('alpha monitoring policies create', '--policy-from-file=-'),
      (name) => gcloud('alpha monitoring policies update', name, '--policy-from-file=-'),
      async () => JSON.stringify({ ...policy, notificationChannels: [await i.channel()] }),
    );
};
