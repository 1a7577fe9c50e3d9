// The facts that bootstrap, doctor and the deploy verbs share, stated once:
// the names every cloud resource derives from the service name (so no state
// file is needed), the roles each account holds, the roles no account of
// ours may hold, and how GitHub's token is pinned to one repository, one
// branch, one workflow and one environment.

export const DEFAULT_SERVICE = 'runway';

export function deriveNames(
  project: string,
  region: string,
  service = DEFAULT_SERVICE,
  zone = `${region}-b`,
) {
  const sqlInstance = `${service}-pg`;
  return {
    project,
    region,
    service,
    /** The Compute Engine path: the VM, its zone, identity, static IP and network tag. */
    zone,
    instance: service,
    vmSaId: `${service}-vm`,
    vmSa: `${service}-vm@${project}.iam.gserviceaccount.com`,
    address: `${service}-ip`,
    networkTag: service,
    repository: service,
    runtimeSaId: `${service}-runtime`,
    runtimeSa: `${service}-runtime@${project}.iam.gserviceaccount.com`,
    deployerSaId: `${service}-deployer`,
    deployerSa: `${service}-deployer@${project}.iam.gserviceaccount.com`,
    // One pool per project for GitHub; one provider per service.
    pool: 'github-actions',
    provider: `gh-${service}`,
    sqlInstance,
    sqlConnectionName: `${project}:${region}:${sqlInstance}`,
    database: service.replaceAll('-', '_'),
    dbUser: service.replaceAll('-', '_'),
    /** Secret Manager secret holding DATABASE_URL. */
    secret: `${service}-database-url`,
    /** Secret Manager secret holding API_KEY_PEPPER, which every API key's hash depends on. */
    pepper: `${service}-api-key-pepper`,
  };
}
export type Names = ReturnType<typeof deriveNames>;

/** The APIs the pipeline and the service call. */
export function requiredApis(
  o: { withCloudsql?: boolean; withTraces?: boolean; withMonitoring?: boolean; vm?: boolean } = {},
): string[] {
  return [
    // The VM path: Compute Engine (the Ops Agent's metrics need Monitoring, below).
    o.vm ? 'compute.googleapis.com' : 'run.googleapis.com',
    'artifactregistry.googleapis.com',
    'iam.googleapis.com',
    'iamcredentials.googleapis.com',
    'sts.googleapis.com',
    'cloudresourcemanager.googleapis.com',
    'secretmanager.googleapis.com',
    'logging.googleapis.com',
    ...(o.withCloudsql ? ['sqladmin.googleapis.com'] : []),
    // The service exports to Cloud Trace through the Telemetry API (docs/observability.md).
    ...(o.withTraces ? ['cloudtrace.googleapis.com', 'telemetry.googleapis.com'] : []),
    ...(o.withMonitoring || o.vm ? ['monitoring.googleapis.com'] : []),
  ];
}

/** Where a role is granted: the project, or one resource. */
export type Target =
  | 'project'
  | 'repository'
  | 'runtime'
  | 'deployer'
  | 'secret'
  | 'pepper'
  | 'vm'
  | 'instance';
export interface Grant {
  on: Target;
  member: string;
  role: string;
}

export interface GrantOptions {
  /** The deploy may make the service public: run.admin instead of run.developer. */
  public?: boolean;
  withCloudsql?: boolean;
  /** The service exports traces to Cloud Trace. */
  withTraces?: boolean;
  /** The Compute Engine path instead of Cloud Run. */
  vm?: boolean;
}

export const sa = (email: string) => `serviceAccount:${email}`;

export const ROLES = {
  deployRun: (o: GrantOptions) => (o.public ? 'roles/run.admin' : 'roles/run.developer'),
  // The deploy reads the logs of a failed migration or revision (gcloud logging read).
  readLogs: 'roles/logging.viewer',
  push: 'roles/artifactregistry.writer',
  actAs: 'roles/iam.serviceAccountUser',
  impersonate: 'roles/iam.workloadIdentityUser',
  writeLogs: 'roles/logging.logWriter',
  traces: 'roles/cloudtrace.agent',
  cloudsql: 'roles/cloudsql.client',
  readSecret: 'roles/secretmanager.secretAccessor',
  // The VM's account: the Ops Agent's metrics, and the image it pulls.
  writeMetrics: 'roles/monitoring.metricWriter',
  pull: 'roles/artifactregistry.reader',
  // The VM rollout sets the instance's metadata and reads its guest attributes
  // (compute.instances.setMetadata, .get, .getGuestAttributes); gcloud then
  // waits on the zone operation, a project resource (compute.zoneOperations.get).
  rollVm: 'roles/compute.instanceAdmin.v1',
  readCompute: 'roles/compute.viewer',
};

/** Google's documented source range of IAP TCP forwarding: SSH reaches the VM only through IAP. */
export const IAP_RANGE = '35.235.240.0/20';

/** The VM's firewall rules, each to the VM's network tag. */
export const vmFirewall = (n: Names) => [
  { name: `${n.service}-allow-web`, allow: 'tcp:80,tcp:443', from: '0.0.0.0/0' },
  { name: `${n.service}-allow-iap-ssh`, allow: 'tcp:22', from: IAP_RANGE },
];

/** The VM's OS: Debian's current image family (docs/compute-engine.md). */
export const VM_IMAGE = { family: 'debian-13', project: 'debian-cloud' };
export const VM_SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

/**
 * Least privilege: every role the two accounts hold, each on the narrowest
 * resource. The deployer pushes to one repository, acts as the runtime account
 * only, deploys Cloud Run services and jobs (run.developer: revisions, traffic,
 * jobs, executions; run.admin only to make a service public) and reads logs;
 * the runtime account writes logs, reads its two secrets, and with the options
 * connects to Cloud SQL and writes traces.
 */
export function grants(n: Names, o: GrantOptions): Grant[] {
  const runtime = sa(n.runtimeSa);
  const deployer = sa(n.deployerSa);
  const grant = (on: Target, member: string, role: string) => ({ on, member, role });
  if (o.vm) {
    // The VM path: the VM's account writes logs and metrics (the Ops Agent), pulls
    // the image and reads its two secrets; the deployer pushes, rolls the one VM and acts as its account.
    const vm = sa(n.vmSa);
    return [
      grant('project', vm, ROLES.writeLogs),
      grant('project', vm, ROLES.writeMetrics),
      ...(o.withTraces ? [grant('project', vm, ROLES.traces)] : []),
      grant('repository', vm, ROLES.pull),
      grant('secret', vm, ROLES.readSecret),
      grant('pepper', vm, ROLES.readSecret),
      grant('project', deployer, ROLES.readLogs),
      grant('project', deployer, ROLES.readCompute),
      grant('repository', deployer, ROLES.push),
      grant('instance', deployer, ROLES.rollVm),
      grant('vm', deployer, ROLES.actAs),
    ];
  }
  return [
    grant('project', runtime, ROLES.writeLogs),
    ...(o.withTraces ? [grant('project', runtime, ROLES.traces)] : []),
    ...(o.withCloudsql ? [grant('project', runtime, ROLES.cloudsql)] : []),
    grant('project', deployer, ROLES.deployRun(o)),
    grant('project', deployer, ROLES.readLogs),
    grant('repository', deployer, ROLES.push),
    grant('runtime', deployer, ROLES.actAs),
    // Cloud Run checks at deploy time that the service may read DATABASE_URL and API_KEY_PEPPER.
    grant('secret', runtime, ROLES.readSecret),
    grant('pepper', runtime, ROLES.readSecret),
  ];
}

/**
 * Project roles that no account of ours may hold: owner and editor are
 * everything; serviceAccountUser or serviceAccountTokenCreator on the whole
 * project let an account act as every account, including the Compute default
 * one. Bootstrap removes them; doctor flags them.
 */
export const FORBIDDEN_ROLES = [
  'roles/owner',
  'roles/editor',
  'roles/iam.serviceAccountUser',
  'roles/iam.serviceAccountTokenCreator',
];

/** Project roles some option grants; without that option bootstrap takes them back. */
export const OPTIONAL_ROLES = [
  ROLES.deployRun({}),
  ROLES.deployRun({ public: true }),
  ROLES.traces,
  ROLES.cloudsql,
  ROLES.readCompute,
];

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

/**
 * The only branch whose workflows may act as the deployer: the deploy
 * workflows deploy main. GitHub's token names it in the `ref` claim, for
 * "Run workflow" and for the run that follows CI (a workflow_run runs on the
 * default branch).
 */
export const DEPLOY_REF = 'refs/heads/main';
/** The GitHub environment the deploy jobs run in, whose protection rules (reviewers) apply. */
export const DEPLOY_ENVIRONMENT = 'production';
/** The workflow file that deploys each target. */
export const DEPLOY_WORKFLOWS = {
  run: '.github/workflows/deploy.yml',
  vm: '.github/workflows/deploy-vm.yml',
};

/** The deploy workflow of `github` (OWNER/REPO, as GitHub spells it) on main, as GitHub's `job_workflow_ref` claim names it. */
export const deployWorkflowRef = (github: string, vm = false) =>
  `${github}/${DEPLOY_WORKFLOWS[vm ? 'vm' : 'run']}@${DEPLOY_REF}`;

/**
 * How the WIF provider maps GitHub's token claims. `attribute.workflow` is
 * the repository (by id), the environment, the workflow file and its ref in
 * one value, and the deployer is bound to that value alone: a token that
 * another provider of the pool lets in (one with a laxer condition) cannot
 * stand in unless it comes from that very job of that repository on main.
 */
export const ATTRIBUTE_MAPPING: Record<string, string> = {
  'google.subject': 'assertion.sub',
  'attribute.workflow':
    "assertion.repository_id + '/' + assertion.environment + '/' + assertion.job_workflow_ref",
};

/**
 * The provider accepts tokens of one repository (by numeric id, which a
 * rename keeps and a new repository of the same name does not get), on the
 * deploy branch, from the job of its deploy workflow (`job_workflow_ref`: no
 * other workflow, and no reusable workflow of another repository) that runs
 * in the production environment. GitHub has one issuer for everyone, so
 * without a condition every repository on GitHub could act as the deployer.
 */
export const attributeCondition = (repositoryId: string, github: string, vm = false) =>
  `assertion.repository_id == '${repositoryId}' && assertion.ref == '${DEPLOY_REF}' && assertion.environment == '${DEPLOY_ENVIRONMENT}' && assertion.job_workflow_ref == '${deployWorkflowRef(github, vm)}'`;

/** The repository a condition pins, when it is the condition above. */
export function pinnedRepository(condition = ''): { id: string; github: string } | undefined {
  const [, id = '', github = ''] =
    condition.match(/^assertion\.repository_id == '(\d+)' .* == '([^'/]+\/[^'/]+)\/\.github\//) ??
    [];
  return [false, true].some((vm) => condition === attributeCondition(id, github, vm))
    ? { id, github }
    : undefined;
}

/** The principals that may impersonate the deployer: the deploy job's runs of that repository. */
export const repositoryPrincipal = (
  projectNumber: string,
  n: Names,
  repositoryId: string,
  github: string,
  vm = false,
) =>
  `principalSet://iam.googleapis.com/${poolResource(projectNumber, n)}/attribute.workflow/${repositoryId}/${DEPLOY_ENVIRONMENT}/${deployWorkflowRef(github, vm)}`;

/** The repository a principal of that shape names. */
export function principalRepository(member: string, projectNumber: string, n: Names) {
  const set = `principalSet://iam.googleapis.com/${poolResource(projectNumber, n)}/attribute.workflow/`;
  if (!member.startsWith(set)) return undefined;
  const [, id, github] =
    member.slice(set.length).match(/^(\d+)\/[^/]+\/([^/]+\/[^/]+)\/\.github\/workflows\//) ?? [];
  return id && github ? { id, github } : undefined;
}

export const poolResource = (projectNumber: string, n: Names) =>
  `projects/${projectNumber}/locations/global/workloadIdentityPools/${n.pool}`;
