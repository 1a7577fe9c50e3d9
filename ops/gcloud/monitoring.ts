// What a project holds of Cloud Monitoring, read as gcloud's JSON (and, for
// Service Monitoring, which gcloud lacks, as the API's JSON): the lists that
// bootstrap's monitoring step matches runway's files against.
import type { Names } from '../names.ts';
import type { CallRest } from './rest.ts';
import { cmd, type Gcloud } from './run.ts';

export type Resource = Record<string, unknown> & { name: string; displayName?: string };
export type Channel = Resource & { type?: string; labels?: Record<string, string> };

export interface Monitoring {
  channels: Channel[];
  metrics: Resource[];
  dashboards: Resource[];
  uptimeChecks: Resource[];
  policies: Resource[];
  services: Resource[];
  slos: Resource[];
}

export const NO_MONITORING: Monitoring = {
  channels: [],
  metrics: [],
  dashboards: [],
  uptimeChecks: [],
  policies: [],
  services: [],
  slos: [],
};

/** The email channel that notifies an address. */
export const emailChannel = (channels: Channel[], email: string | undefined) =>
  channels.find((c) => c.type === 'email' && c.labels?.email_address === email);

export const listChannels = async (g: Gcloud, n: Names) =>
  (await g.json<Channel[]>(
    cmd('beta monitoring channels list', `--project=${n.project}`, '--format=json'),
    {
      what: 'list the notification channels',
      project: n.project,
    },
  )) ?? [];

export async function readMonitoring(g: Gcloud, rest: CallRest, n: Names): Promise<Monitoring> {
  const context = (what: string) => ({ what, project: n.project });
  const list = async (words: string) =>
    (await g.json<Resource[]>(
      cmd(words, `--project=${n.project}`, '--format=json'),
      context(`gcloud ${words}`),
    )) ?? [];
  const api = async (kind: string, path: string) =>
    (
      await rest<Record<string, Resource[]>>(
        { method: 'GET', path: `v3/projects/${n.project}/${path}` },
        context(`list the ${kind} of Service Monitoring`),
      )
    )[kind] ?? [];
  const [channels, metrics, dashboards, uptimeChecks, policies, services] = await Promise.all([
    listChannels(g, n),
    list('logging metrics list'),
    list('monitoring dashboards list'),
    list('monitoring uptime list-configs'),
    list('alpha monitoring policies list'),
    api('services', 'services'),
  ]);
  const ours = services.some((s) => s.name.endsWith(`/services/${n.service}`));
  const slos = ours
    ? await api('serviceLevelObjectives', `services/${n.service}/serviceLevelObjectives`)
    : [];
  return { channels, metrics, dashboards, uptimeChecks, policies, services, slos };
}
