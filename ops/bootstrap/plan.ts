// What bootstrap changes, decided from the project's state alone: every
// write is a gcloud command for something missing or wrong, in dependency
// order (accounts before the bindings that name them, the secret before its
// binding, the pool before its provider). On an empty state the plan is the
// whole set-up, which is what --dry-run prints.
import { bindingArgv, membersOf, rolesOf } from '../gcloud/iam.ts';
import type { State } from '../gcloud/state.ts';
import {
  ATTRIBUTE_MAPPING,
  attributeCondition,
  DEPLOY_REF,
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
} from '../names.ts';

export interface Options extends GrantOptions {
  project: string;
  region: string;
  github: string;
  githubRepoId?: string;
  service: string;
  /** How many recent images the registry keeps. */
  keep: number;
  dryRun: boolean;
  json: boolean;
}

export const STEPS = {
  apis: 'Required APIs are enabled',
  registry: 'Docker repository with a cleanup policy',
  accounts: 'Runtime and deployer service accounts',
  database: 'DATABASE_URL secret (and with --with-cloudsql its Cloud SQL database)',
  iam: 'Least-privilege roles, nothing broader',
  wif: 'Workload Identity Federation pinned to the repository and the deploy branch',
};
export type StepId = keyof typeof STEPS;

export interface Write {
  step: StepId;
  /** What it does, in words. */
  change: string;
  argv: string[];
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
}

export function planApis(enabled: string[], o: Options): Write[] {
  const missing = requiredApis(o).filter((a) => !enabled.includes(a));
  return missing.length
    ? [
        {
          step: 'apis',
          change: `enable ${missing.join(', ')}`,
          argv: ['services', 'enable', ...missing, `--project=${o.project}`],
        },
      ]
    : [];
}

export function cleanupPolicy(keep: number) {
  return [
    { name: 'keep-recent', action: { type: 'Keep' }, mostRecentVersions: { keepCount: keep } },
    {
      name: 'delete-old',
      action: { type: 'Delete' },
      condition: { tagState: 'any', olderThan: '7d' },
    },
  ];
}

export const databaseUrl = (n: Names, password: string) =>
  `postgres://${n.dbUser}:${encodeURIComponent(password)}@/${n.database}?host=/cloudsql/${n.sqlConnectionName}`;

export function plan(s: State, o: Options, n: Names, i: Inputs): Write[] {
  const writes: Write[] = [];
  const add = (step: StepId, change: string, argv: string[], stdin?: Write['stdin']) =>
    writes.push({ step, change, argv, ...(stdin ? { stdin } : {}) });
  const p = `--project=${o.project}`;

  const repo = s.repository;
  const loc = [`--location=${o.region}`, p];
  if (repo && repo.format !== 'DOCKER') {
    throw new Error(
      `repository ${n.repository} in ${o.region} holds ${repo.format} packages, not Docker images; choose another --service`,
    );
  }
  if (!repo) {
    add('registry', `create the Docker repository ${n.repository}`, [
      'artifacts',
      'repositories',
      'create',
      n.repository,
      '--repository-format=docker',
      `--description=Images of ${n.service}, pushed by the deploy workflow`,
      ...loc,
    ]);
  }
  const policies = repo?.cleanupPolicies;
  if (
    policies?.['keep-recent']?.mostRecentVersions?.keepCount !== o.keep ||
    !policies['delete-old'] ||
    repo?.cleanupPolicyDryRun
  ) {
    add(
      'registry',
      `keep the last ${o.keep} images, delete older ones after 7 days`,
      // Without --no-dry-run a policy can sit in dry-run mode and never delete.
      [
        'artifacts',
        'repositories',
        'set-cleanup-policies',
        n.repository,
        '--policy=-',
        '--no-dry-run',
        ...loc,
      ],
      () => JSON.stringify(cleanupPolicy(o.keep)),
    );
  }

  for (const [id, email, account, what] of [
    [n.runtimeSaId, n.runtimeSa, s.runtime, `Identity of the Cloud Run service ${n.service}`],
    [
      n.deployerSaId,
      n.deployerSa,
      s.deployer,
      `Impersonated by the deploy workflow of ${o.github}`,
    ],
  ] as const) {
    if (!account) {
      add('accounts', `create ${email}`, [
        'iam',
        'service-accounts',
        'create',
        id,
        `--description=${what}`,
        p,
      ]);
    } else if (account.disabled) {
      add('accounts', `re-enable ${email}`, ['iam', 'service-accounts', 'enable', email, p]);
    }
  }

  const createSecret = [
    'secrets',
    'create',
    n.secret,
    '--replication-policy=automatic',
    '--data-file=-',
    p,
  ];
  if (o.withCloudsql) {
    const sql = s.sql ?? { instance: false, databases: [], users: [] };
    const scope = [`--instance=${n.sqlInstance}`, p];
    if (!sql.instance) {
      add('database', `create the Cloud SQL instance ${n.sqlConnectionName} (5-10 minutes)`, [
        'sql',
        'instances',
        'create',
        n.sqlInstance,
        '--database-version=POSTGRES_17',
        // db-f1-micro, the smallest shared-core tier, exists only in the Enterprise edition.
        '--edition=enterprise',
        '--tier=db-f1-micro',
        `--region=${o.region}`,
        '--storage-auto-increase',
        p,
      ]);
    }
    if (!sql.databases.includes(n.database)) {
      add('database', `create the database ${n.database}`, [
        'sql',
        'databases',
        'create',
        n.database,
        ...scope,
      ]);
    }
    // The password lives only in the secret: a new user or a lost secret
    // means a new password, set on the user and stored in the secret. gcloud
    // sql users takes it on argv only; it is never printed.
    const user = sql.users.includes(n.dbUser);
    if (!user || !s.secret) {
      const verb = user ? 'set-password' : 'create';
      add('database', `${verb} the database user ${n.dbUser}`, [
        'sql',
        'users',
        verb,
        n.dbUser,
        `--password=${i.password}`,
        ...scope,
      ]);
      const url = () => databaseUrl(n, i.password);
      if (s.secret)
        add(
          'database',
          `store a new DATABASE_URL in ${n.secret}`,
          ['secrets', 'versions', 'add', n.secret, '--data-file=-', p],
          url,
        );
      else add('database', `create the secret ${n.secret} holding DATABASE_URL`, createSecret, url);
    }
  } else if (!s.secret) {
    add(
      'database',
      `create the secret ${n.secret} holding the DATABASE_URL read from stdin`,
      createSecret,
      i.databaseUrl,
    );
  }

  const wanted = grants(n, o);
  for (const g of wanted) {
    if (!rolesOf(s.policies[g.on], g.member).includes(g.role)) {
      add('iam', `grant ${g.role} to ${g.member} on the ${g.on}`, bindingArgv('add', g, n));
    }
  }
  for (const member of [sa(n.runtimeSa), sa(n.deployerSa)]) {
    for (const role of rolesOf(s.policies.project, member)) {
      const ours = wanted.some((g) => g.on === 'project' && g.member === member && g.role === role);
      if (!ours && [...FORBIDDEN_ROLES, ...OPTIONAL_ROLES].includes(role)) {
        add(
          'iam',
          `remove ${role} from ${member} on the project (more than it needs)`,
          bindingArgv('remove', { on: 'project', member, role }, n),
        );
      }
    }
  }

  const scope = ['--location=global', p];
  if (!s.pool) {
    add('wif', `create the workload identity pool ${n.pool}`, [
      'iam',
      'workload-identity-pools',
      'create',
      n.pool,
      '--display-name=GitHub Actions',
      ...scope,
    ]);
  } else if (s.pool.state === 'DELETED') {
    add('wif', `restore the deleted pool ${n.pool}`, [
      'iam',
      'workload-identity-pools',
      'undelete',
      n.pool,
      ...scope,
    ]);
  }
  const provider = ['iam', 'workload-identity-pools', 'providers'];
  const pool = [`--workload-identity-pool=${n.pool}`, ...scope];
  const condition = attributeCondition(i.repositoryId);
  const spec = [
    `--issuer-uri=${GITHUB_ISSUER}`,
    `--attribute-mapping=${Object.entries(ATTRIBUTE_MAPPING)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}`,
    `--attribute-condition=${condition}`,
  ];
  const pr = s.provider;
  if (!pr) {
    add('wif', `create the OIDC provider ${n.provider}: ${o.github} on ${DEPLOY_REF} only`, [
      ...provider,
      'create-oidc',
      n.provider,
      ...spec,
      ...pool,
    ]);
  } else {
    if (pr.state === 'DELETED')
      add('wif', `restore the deleted provider ${n.provider}`, [
        ...provider,
        'undelete',
        n.provider,
        ...pool,
      ]);
    const mapped = Object.entries(ATTRIBUTE_MAPPING).every(
      ([k, v]) => pr.attributeMapping?.[k] === v,
    );
    if (pr.attributeCondition !== condition || pr.oidc?.issuerUri !== GITHUB_ISSUER || !mapped) {
      add(
        'wif',
        `pin the provider to ${o.github} on ${DEPLOY_REF} (its condition was ${JSON.stringify(pr.attributeCondition ?? '')})`,
        [...provider, 'update-oidc', n.provider, ...spec, ...pool],
      );
    }
  }
  const principal = repositoryPrincipal(i.projectNumber, n, i.repositoryId);
  const impersonators = membersOf(s.policies.deployer, ROLES.impersonate);
  if (!impersonators.includes(principal)) {
    add(
      'wif',
      `let the workflows of ${o.github} act as ${n.deployerSa}`,
      bindingArgv('add', { on: 'deployer', member: principal, role: ROLES.impersonate }, n),
    );
  }
  for (const other of impersonators.filter((m) => m !== principal)) {
    add(
      'wif',
      `stop ${other} from acting as the deployer`,
      bindingArgv('remove', { on: 'deployer', member: other, role: ROLES.impersonate }, n),
    );
  }
  return writes;
}
