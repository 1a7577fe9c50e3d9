// What a project holds of ours, read as gcloud's JSON: bootstrap plans its
// changes from it and doctor judges it. A resource is missing when its list
// does not name it; an API that is not enabled holds nothing we can use, so
// its resources are not read. Independent reads run together.
import type { Names, Target } from '../names.ts';
import type { Policy } from './iam.ts';
import { policyArgv } from './iam.ts';
import { type Monitoring, readMonitoring } from './monitoring.ts';
import type { CallRest } from './rest.ts';
import { cmd, type Gcloud } from './run.ts';

export interface Repository {
  name: string;
  format?: string;
  cleanupPolicies?: Record<string, { mostRecentVersions?: { keepCount?: number } }>;
  cleanupPolicyDryRun?: boolean;
}
export interface Account {
  email: string;
  disabled?: boolean;
}
export interface Provider {
  name: string;
  state?: string;
  attributeCondition?: string;
  attributeMapping?: Record<string, string>;
  oidc?: { issuerUri?: string };
}

/** A Compute Engine instance, firewall rule and address as gcloud compute prints them. */
export interface Instance {
  id?: string;
  name: string;
  zone: string;
  machineType?: string;
  status?: string;
  tags?: { items?: string[] };
  serviceAccounts?: Array<{ email: string; scopes?: string[] }>;
  metadata?: { items?: Array<{ key: string; value: string }> };
  disks?: Array<{ boot?: boolean; source?: string }>;
  networkInterfaces?: Array<{ accessConfigs?: Array<{ natIP?: string }> }>;
}
export interface Firewall {
  name: string;
  direction?: string;
  disabled?: boolean;
  allowed?: Array<{ IPProtocol: string; ports?: string[] }>;
  sourceRanges?: string[];
  targetTags?: string[];
  targetServiceAccounts?: string[];
}

/** The last segment of a Compute Engine URL (a zone's name). */
export const lastSegment = (url = '') => url.slice(url.lastIndexOf('/') + 1);

/** An instance's metadata as a map. */
export const metadata = (i: Instance | undefined): Record<string, string> =>
  Object.fromEntries((i?.metadata?.items ?? []).map((x) => [x.key, x.value]));

export interface State {
  projectNumber: string;
  apis: string[];
  repository?: Repository;
  runtime?: Account;
  deployer?: Account;
  secret: boolean;
  pepper: boolean;
  pool?: { name: string; state?: string };
  provider?: Provider;
  sql?: { instance: boolean; databases: string[]; users: string[] };
  /** Read when asked for and the Monitoring API is enabled. */
  monitoring?: Monitoring;
  /** The VM path (read when Compute Engine is enabled). */
  vm?: Account;
  instance?: Instance;
  firewalls?: Firewall[];
  address?: { name: string; address?: string };
  policies: Partial<Record<Target, Policy>>;
}

/** The project's number and enabled APIs: what every later read depends on. */
export async function readProject(
  g: Gcloud,
  n: Names,
): Promise<Pick<State, 'projectNumber' | 'apis'>> {
  const context = { what: `read project ${n.project}`, project: n.project };
  const [project, services] = await Promise.all([
    g.json<{ projectNumber: string }>(
      ['projects', 'describe', n.project, '--format=json'],
      context,
    ),
    g.json<Array<{ config: { name: string } }>>(
      ['services', 'list', '--enabled', `--project=${n.project}`, '--format=json(config.name)'],
      context,
    ),
  ]);
  return {
    projectNumber: project?.projectNumber ?? '',
    apis: (services ?? []).map((s) => s.config.name),
  };
}

const named = <T extends { name: string }>(list: T[], id: string) =>
  list.find((x) => x.name.endsWith(`/${id}`));

export async function readState(
  g: Gcloud,
  n: Names,
  project: Pick<State, 'projectNumber' | 'apis'>,
  o: { sql?: boolean; monitoring?: CallRest } = {},
): Promise<State> {
  const p = `--project=${n.project}`;
  const on = (api: string) => project.apis.includes(`${api}.googleapis.com`);
  const list = async <T>(api: string, words: string, ...args: string[]) => {
    if (!on(api)) return [];
    const argv = cmd(words, ...args, p, '--format=json');
    return (await g.json<T[]>(argv, { what: `gcloud ${words}`, project: n.project })) ?? [];
  };
  const policy = (t: Target, names = n) =>
    g.json<Policy>([...policyArgv(t, 'get-iam-policy', names), '--format=json'], {
      what: `read the IAM policy of the ${t}`,
      project: n.project,
    });

  const [
    repos,
    accounts,
    pools,
    secrets,
    instances,
    projectPolicy,
    vms,
    firewalls,
    addresses,
    monitoring,
  ] = await Promise.all([
    n.region
      ? list<Repository>(
          'artifactregistry',
          'artifacts repositories list',
          `--location=${n.region}`,
        )
      : [],
    list<Account & { name: string }>('iam', 'iam service-accounts list'),
    list<{ name: string; state?: string }>(
      'iam',
      'iam workload-identity-pools list',
      '--location=global',
      '--show-deleted',
    ),
    list<{ name: string }>('secretmanager', 'secrets list'),
    o.sql ? list<{ name: string }>('sqladmin', 'sql instances list') : [],
    policy('project'),
    list<Instance>('compute', 'compute instances list'),
    list<Firewall>('compute', 'compute firewall-rules list'),
    list<{ name: string; address?: string }>('compute', 'compute addresses list'),
    o.monitoring && on('monitoring') ? readMonitoring(g, o.monitoring, n) : undefined,
  ]);
  const s: State = {
    ...project,
    repository: named(repos, `repositories/${n.repository}`),
    runtime: accounts.find((a) => a.email === n.runtimeSa),
    deployer: accounts.find((a) => a.email === n.deployerSa),
    secret: !!named(secrets, `secrets/${n.secret}`),
    pepper: !!named(secrets, `secrets/${n.pepper}`),
    pool: named(pools, `workloadIdentityPools/${n.pool}`),
    vm: accounts.find((a) => a.email === n.vmSa),
    instance: vms.find((i) => i.name === n.instance),
    firewalls,
    address: addresses.find((a) => a.name === n.address),
    policies: { project: projectPolicy ?? {} },
    ...(monitoring ? { monitoring } : {}),
  };
  // The instance's policy is read in the zone where it is.
  const at = { ...n, zone: lastSegment(s.instance?.zone) || n.zone };
  const instance = instances.some((i) => i.name === n.sqlInstance);
  const scope = [`--instance=${n.sqlInstance}`];
  const targets = (
    ['repository', 'runtime', 'deployer', 'secret', 'pepper', 'vm', 'instance'] as const
  ).filter((t) => s[t]);
  const [policies, providers, databases, users] = await Promise.all([
    Promise.all(targets.map((t) => policy(t, at))),
    s.pool
      ? list<Provider>(
          'iam',
          'iam workload-identity-pools providers list',
          `--workload-identity-pool=${n.pool}`,
          '--location=global',
          '--show-deleted',
        )
      : [],
    instance ? list<{ name: string }>('sqladmin', 'sql databases list', ...scope) : [],
    instance ? list<{ name: string }>('sqladmin', 'sql users list', ...scope) : [],
  ]);
  targets.forEach((t, i) => {
    s.policies[t] = policies[i] ?? {};
  });
  s.provider = named(providers, `providers/${n.provider}`);
  if (o.sql)
    s.sql = { instance, databases: databases.map((d) => d.name), users: users.map((u) => u.name) };
  return s;
}
