// What bootstrap changes, decided from the project's state alone: every
// write is a gcloud command for something missing or wrong, in dependency
// order (accounts before the bindings that name them, the secrets before
// their bindings, the pool before its provider). On an empty state the plan is the
// whole set-up, which is what --dry-run prints.

import { metadataFlag, VM_CLOUD_INIT, vmConfig } from '../deploy/vm.ts';
import { bindingArgv, membersOf, rolesOf } from '../gcloud/iam.ts';
import type { Rest } from '../gcloud/rest.ts';
import { cmd } from '../gcloud/run.ts';
import { type Firewall, lastSegment, metadata, type State } from '../gcloud/state.ts';
import {
  ATTRIBUTE_MAPPING,
  attributeCondition,
  DEPLOY_ENVIRONMENT,
  deployWorkflowRef,
  FORBIDDEN_ROLES,
  GITHUB_ISSUER,
  type GrantOptions,
  grants,
  type Names,
  OPTIONAL_ROLES,
  ROLES,
  repositoryPrincipal,
  requiredApis,
  sa,
  VM_IMAGE,
  VM_SCOPES,
  vmFirewall,
} from '../names.ts';
import { monitoring } from './monitoring.ts';

export interface Options extends GrantOptions {
  project: string;
  region: string;
  github: string;
  githubRepoId?: string;
  service: string;
  /** How many recent images the registry keeps. */
  keep: number;
  withMonitoring?: boolean;
  /** The address the alert policies notify (--with-monitoring). */
  notify?: string;
  /** The VM path: its zone and machine type, and the domain Caddy gets a certificate for. */
  zone?: string;
  machineType?: string;
  domain?: string;
  dryRun: boolean;
  json: boolean;
}

export const STEPS = {
  apis: 'Required APIs are enabled',
  registry: 'Docker repository with a cleanup policy',
  accounts: 'Runtime and deployer service accounts',
  database: 'DATABASE_URL secret (and with --with-cloudsql its Cloud SQL database)',
  pepper:
    'API_KEY_PEPPER secret, made once and never replaced (a new pepper invalidates every key)',
  vm: 'With --target vm: firewall rules, a static IP and the VM',
  iam: 'Least-privilege roles, nothing broader',
  wif: 'Workload Identity Federation pinned to the repository, its deploy workflow on main and the production environment',
  monitoring:
    'Dashboard, log-based metrics, uptime check, alert policies and SLOs (--with-monitoring)',
};
export type StepId = keyof typeof STEPS;

export interface Write {
  step: StepId;
  /** What it does, in words. */
  change: string;
  /** A gcloud command, or else a call of the Monitoring API that gcloud cannot make. */
  argv?: string[];
  rest?: Rest;
  /** Written to gcloud's stdin: secret values never go on argv. */
  stdin?: () => string | Promise<string>;
}

export interface Inputs {
  projectNumber: string;
  repositoryId: string;
  /** The generated database password (--with-cloudsql). */
  password: string;
  /** The operator's DATABASE_URL, read only if the secret is missing (without --with-cloudsql). */
  databaseUrl: () => Promise<string>;
  /** A new random API_KEY_PEPPER, asked for only when its secret is missing. */
  pepper: () => string;
  /** The name of the notification channel, once it exists (--with-monitoring). */
  channel: () => Promise<string>;
}

export function planApis(enabled: string[], o: Options): Write[] {
  const missing = requiredApis(o).filter((a) => !enabled.includes(a));
  return missing.length
    ? [
        {
          step: 'apis',
          change: `enable ${missing.join(', ')}`,
          argv: cmd('services enable', ...missing, `--project=${o.project}`),
        },
      ]
    : [];
}

/** A step adds, from what the project holds, a write for each thing missing or wrong. */
type Add = (change: string, how: string[] | Rest, stdin?: Write['stdin']) => void;
export type Step = (add: Add, s: State, o: Options, n: Names, i: Inputs) => void;

const registry: Step = (add, s, o, n) => {
  const repo = s.repository;
  const loc = [`--location=${o.region}`, `--project=${o.project}`];
  if (repo && repo.format !== 'DOCKER') {
    throw new Error(
      `repository ${n.repository} in ${o.region} holds ${repo.format} packages, not Docker images; choose another --service`,
    );
  }
  if (!repo) {
    const description = `--description=Images of ${n.service}, pushed by the deploy workflow`;
    add(
      `create the Docker repository ${n.repository}`,
      cmd(
        'artifacts repositories create',
        n.repository,
        '--repository-format=docker',
        description,
        ...loc,
      ),
    );
  }
  const policies = repo?.cleanupPolicies;
  const keeps = policies?.['keep-recent']?.mostRecentVersions?.keepCount === o.keep;
  if (!keeps || !policies?.['delete-old'] || repo?.cleanupPolicyDryRun) {
    add(
      `keep the last ${o.keep} images, delete older ones after 7 days`,
      // Without --no-dry-run a policy can sit in dry-run mode and never delete.
      cmd(
        'artifacts repositories set-cleanup-policies',
        n.repository,
        '--policy=-',
        '--no-dry-run',
        ...loc,
      ),
      () =>
        JSON.stringify([
          {
            name: 'keep-recent',
            action: { type: 'Keep' },
            mostRecentVersions: { keepCount: o.keep },
          },
          {
            name: 'delete-old',
            action: { type: 'Delete' },
            condition: { tagState: 'any', olderThan: '7d' },
          },
        ]),
    );
  }
};

const accounts: Step = (add, s, o, n) => {
  const p = `--project=${o.project}`;
  const app = o.vm
    ? ([n.vmSaId, n.vmSa, s.vm, `Identity of the VM ${n.instance}`] as const)
    : ([
        n.runtimeSaId,
        n.runtimeSa,
        s.runtime,
        `Identity of the Cloud Run service ${n.service}`,
      ] as const);
  for (const [id, email, account, what] of [
    app,
    [
      n.deployerSaId,
      n.deployerSa,
      s.deployer,
      `Impersonated by the deploy workflow of ${o.github}`,
    ],
  ] as const) {
    if (!account)
      add(`create ${email}`, cmd('iam service-accounts create', id, `--description=${what}`, p));
    else if (account.disabled)
      add(`re-enable ${email}`, cmd('iam service-accounts enable', email, p));
  }
};

const database: Step = (add, s, o, n, i) => {
  const p = `--project=${o.project}`;
  const createSecret = cmd(
    'secrets create',
    n.secret,
    '--replication-policy=automatic',
    '--data-file=-',
    p,
  );
  if (!o.withCloudsql) {
    if (!s.secret)
      add(
        `create the secret ${n.secret} holding the DATABASE_URL piped to bootstrap`,
        createSecret,
        i.databaseUrl,
      );
    return;
  }
  const sql = s.sql ?? { instance: false, databases: [], users: [] };
  const scope = [`--instance=${n.sqlInstance}`, p];
  if (!sql.instance) {
    add(
      `create the Cloud SQL instance ${n.sqlConnectionName} (5-10 minutes)`,
      // db-f1-micro, the smallest shared-core tier, exists only in the Enterprise edition.
      cmd(
        'sql instances create',
        n.sqlInstance,
        '--database-version=POSTGRES_17',
        '--edition=enterprise',
        '--tier=db-f1-micro',
        `--region=${o.region}`,
        '--storage-auto-increase',
        p,
      ),
    );
  }
  if (!sql.databases.includes(n.database)) {
    add(`create the database ${n.database}`, cmd('sql databases create', n.database, ...scope));
  }
  // The password lives only in the secret: a new user or a lost secret means
  // a new password, set on the user and stored in the secret. gcloud sql
  // users takes it on argv only; it is never printed.
  const user = sql.users.includes(n.dbUser);
  if (user && s.secret) return;
  const verb = user ? 'set-password' : 'create';
  const url = () =>
    `postgres://${n.dbUser}:${encodeURIComponent(i.password)}@/${n.database}?host=/cloudsql/${n.sqlConnectionName}`;
  add(
    `${verb} the database user ${n.dbUser}`,
    cmd(`sql users ${verb}`, n.dbUser, `--password=${i.password}`, ...scope),
  );
  if (s.secret)
    add(
      `store a new DATABASE_URL in ${n.secret}`,
      cmd('secrets versions add', n.secret, '--data-file=-', p),
      url,
    );
  else add(`create the secret ${n.secret} holding DATABASE_URL`, createSecret, url);
};

// Only when missing: a new pepper would turn every API key issued so far into a wrong key.
const pepper: Step = (add, s, o, n, i) => {
  if (s.pepper) return;
  add(
    `create the secret ${n.pepper} holding a random API_KEY_PEPPER`,
    cmd(
      'secrets create',
      n.pepper,
      '--replication-policy=automatic',
      '--data-file=-',
      `--project=${o.project}`,
    ),
    i.pepper,
  );
};

const iam: Step = (add, s, o, n) => {
  const wanted = grants(n, o);
  for (const g of wanted) {
    if (!rolesOf(s.policies[g.on], g.member).includes(g.role)) {
      add(`grant ${g.role} to ${g.member} on the ${g.on}`, bindingArgv('add', g, n));
    }
  }
  for (const member of [sa(n.runtimeSa), sa(n.deployerSa), sa(n.vmSa)]) {
    for (const role of rolesOf(s.policies.project, member)) {
      const ours = wanted.some((g) => g.on === 'project' && g.member === member && g.role === role);
      if (!ours && [...FORBIDDEN_ROLES, ...OPTIONAL_ROLES].includes(role)) {
        const what = `remove ${role} from ${member} on the project (more than it needs)`;
        add(what, bindingArgv('remove', { on: 'project', member, role }, n));
      }
    }
  }
};

/** A firewall rule as gcloud's flags state it, to compare what exists with what is wanted. */
const ruleOf = (f: Firewall) => ({
  allow: (f.allowed ?? [])
    .flatMap((a) => (a.ports ?? ['']).map((x) => `${a.IPProtocol}:${x}`))
    .join(','),
  from: (f.sourceRanges ?? []).join(','),
  to: (f.targetTags ?? []).join(','),
  on: !f.disabled && f.direction === 'INGRESS' && !f.targetServiceAccounts,
});

const vm: Step = (add, s, o, n) => {
  if (!o.vm) return;
  const p = `--project=${o.project}`;
  for (const want of vmFirewall(n)) {
    const spec = [
      `--allow=${want.allow}`,
      `--source-ranges=${want.from}`,
      `--target-tags=${n.networkTag}`,
    ];
    const found = s.firewalls?.find((f) => f.name === want.name);
    if (!found)
      add(
        `create the firewall rule ${want.name}: ${want.allow} from ${want.from} to the VM`,
        cmd(
          'compute firewall-rules create',
          want.name,
          '--network=default',
          '--direction=INGRESS',
          ...spec,
          p,
        ),
      );
    else {
      const is = ruleOf(found);
      if (is.allow !== want.allow || is.from !== want.from || is.to !== n.networkTag || !is.on)
        add(
          `reset the firewall rule ${want.name} to ${want.allow} from ${want.from} (it allowed ${is.allow} from ${is.from}${is.on ? '' : ', or was not an enabled ingress rule to the tag'})`,
          cmd('compute firewall-rules update', want.name, ...spec, '--no-disabled', p),
        );
    }
  }
  if (!s.address)
    add(
      `reserve the static IP ${n.address}`,
      cmd('compute addresses create', n.address, `--region=${o.region}`, p),
    );
  const at = [`--zone=${n.zone}`, p];
  const wanted = {
    'enable-guest-attributes': 'TRUE',
    ...(o.domain !== undefined || !s.instance ? { 'runway-domain': o.domain ?? '' } : {}),
    'runway-secrets': vmConfig(n, '', '')['runway-secrets'],
  };
  const i = s.instance;
  if (!i) {
    add(
      `create the VM ${n.instance} (${o.machineType}, ${VM_IMAGE.family}) in ${n.zone}`,
      cmd(
        'compute instances create',
        n.instance,
        `--machine-type=${o.machineType}`,
        `--image-family=${VM_IMAGE.family}`,
        `--image-project=${VM_IMAGE.project}`,
        `--service-account=${n.vmSa}`,
        '--scopes=cloud-platform',
        '--shielded-secure-boot',
        '--shielded-vtpm',
        '--shielded-integrity-monitoring',
        `--tags=${n.networkTag}`,
        `--address=${n.address}`,
        `--metadata-from-file=user-data=${VM_CLOUD_INIT}`,
        metadataFlag(wanted),
        ...at,
      ),
    );
    return;
  }
  const zone = lastSegment(i.zone);
  if (zone !== n.zone)
    throw new Error(`the VM ${n.instance} is in zone ${zone}, not ${n.zone}: pass --zone ${zone}`);
  const has = metadata(i);
  const stale = Object.entries(wanted).filter(([k, v]) => has[k] !== v);
  if (stale.length)
    add(
      `set ${stale.map(([k]) => k).join(', ')} on the VM`,
      cmd(
        'compute instances add-metadata',
        n.instance,
        metadataFlag(Object.fromEntries(stale)),
        ...at,
      ),
    );
  const [account] = i.serviceAccounts ?? [];
  if (account?.email !== n.vmSa || String(account.scopes) !== String(VM_SCOPES)) {
    // An instance's account and scopes change only while it is stopped.
    const was = `${account?.email ?? 'no account'} with scopes ${account?.scopes?.join(' ') || 'none'}`;
    add(
      `stop the VM to change its identity (it ran as ${was})`,
      cmd('compute instances stop', n.instance, ...at),
    );
    add(
      `run the VM as ${n.vmSa} with the cloud-platform scope`,
      cmd(
        'compute instances set-service-account',
        n.instance,
        `--service-account=${n.vmSa}`,
        '--scopes=cloud-platform',
        ...at,
      ),
    );
    add(`start the VM again`, cmd('compute instances start', n.instance, ...at));
  }
};

const wif: Step = (add, s, o, n, i) => {
  const scope = ['--location=global', `--project=${o.project}`];
  if (!s.pool) {
    add(
      `create the workload identity pool ${n.pool}`,
      cmd('iam workload-identity-pools create', n.pool, '--display-name=GitHub Actions', ...scope),
    );
  } else if (s.pool.state === 'DELETED') {
    add(
      `restore the deleted pool ${n.pool}`,
      cmd('iam workload-identity-pools undelete', n.pool, ...scope),
    );
  }
  const providers = (verb: string, ...args: string[]) =>
    cmd(
      `iam workload-identity-pools providers ${verb}`,
      n.provider,
      ...args,
      `--workload-identity-pool=${n.pool}`,
      ...scope,
    );
  const condition = attributeCondition(i.repositoryId, o.github, o.vm);
  const pinned = `${deployWorkflowRef(o.github, o.vm)} in the ${DEPLOY_ENVIRONMENT} environment`;
  const mapping = Object.entries(ATTRIBUTE_MAPPING);
  const spec = [
    `--issuer-uri=${GITHUB_ISSUER}`,
    `--attribute-mapping=${mapping.map(([k, v]) => `${k}=${v}`).join(',')}`,
    `--attribute-condition=${condition}`,
  ];
  const pr = s.provider;
  if (!pr)
    add(
      `create the OIDC provider ${n.provider}: ${pinned} only`,
      providers('create-oidc', ...spec),
    );
  else {
    if (pr.state === 'DELETED')
      add(`restore the deleted provider ${n.provider}`, providers('undelete'));
    const mapped = mapping.every(([k, v]) => pr.attributeMapping?.[k] === v);
    if (pr.attributeCondition !== condition || pr.oidc?.issuerUri !== GITHUB_ISSUER || !mapped) {
      const was = JSON.stringify(pr.attributeCondition ?? '');
      add(
        `pin the provider to ${pinned} (its condition was ${was})`,
        providers('update-oidc', ...spec),
      );
    }
  }
  const principal = repositoryPrincipal(i.projectNumber, n, i.repositoryId, o.github, o.vm);
  const impersonate = (member: string) => ({
    on: 'deployer' as const,
    member,
    role: ROLES.impersonate,
  });
  const impersonators = membersOf(s.policies.deployer, ROLES.impersonate);
  if (!impersonators.includes(principal)) {
    add(
      `let ${deployWorkflowRef(o.github, o.vm)} act as ${n.deployerSa}`,
      bindingArgv('add', impersonate(principal), n),
    );
  }
  for (const other of impersonators.filter((m) => m !== principal)) {
    add(`stop ${other} from acting as the deployer`, bindingArgv('remove', impersonate(other), n));
  }
};

/** Every write, step by step, in the order they must run. */
export function plan(s: State, o: Options, n: Names, i: Inputs): Write[] {
  const writes: Write[] = [];
  const steps = { registry, accounts, database, pepper, vm, iam, wif, monitoring };
  for (const [step, fill] of Object.entries(steps)) {
    fill(
      (change, how, stdin) =>
        writes.push({
          step: step as StepId,
          change,
          ...(Array.isArray(how) ? { argv: how } : { rest: how }),
          ...(stdin ? { stdin } : {}),
        }),
      s,
      o,
      n,
      i,
    );
  }
  return writes;
}
