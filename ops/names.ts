// The facts that bootstrap, doctor and the deploy verbs share, stated once:
// the names every cloud resource derives from the service name (so no state
// file is needed), the roles each account holds, the roles no account of
// ours may hold, and how GitHub's token is pinned to one repository and one
// branch.

export const DEFAULT_SERVICE = 'runway';

export function deriveNames(project: string, region: string, service = DEFAULT_SERVICE) {
  const sqlInstance = `${service}-pg`;
  return {
    project,
    region,
    service,
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
  o: { withCloudsql?: boolean; withTraces?: boolean; withMonitoring?: boolean } = {},
): string[] {
  return [
    'run.googleapis.com',
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
    ...(o.withMonitoring ? ['monitoring.googleapis.com'] : []),
  ];
}

/** Where a role is granted: the project, or one resource. */
export type Target = 'project' | 'repository' | 'runtime' | 'deployer' | 'secret' | 'pepper';
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
};

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
];

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

/**
 * The only branch whose workflows may act as the deployer: the deploy
 * workflow (.github/workflows/deploy.yml) deploys main. GitHub's token names
 * it in the `ref` claim, for "Run workflow" and for the run that follows CI
 * (a workflow_run runs on the default branch).
 */
export const DEPLOY_REF = 'refs/heads/main';

/** How the WIF provider maps GitHub's token claims. */
export const ATTRIBUTE_MAPPING: Record<string, string> = {
  'google.subject': 'assertion.sub',
  'attribute.repository_id': 'assertion.repository_id',
  'attribute.ref': 'assertion.ref',
};

/**
 * The provider accepts tokens of one repository (by numeric id, which a
 * rename keeps and a new repository of the same name does not get) on the
 * deploy branch; GitHub has one issuer for everyone, so without a condition
 * every repository on GitHub could act as the deployer.
 */
export const attributeCondition = (repositoryId: string) =>
  `assertion.repository_id == '${repositoryId}' && assertion.ref == '${DEPLOY_REF}'`;

/** The repository id a condition pins, when it is the condition above. */
export function pinnedRepositoryId(condition = ''): string | undefined {
  const id = condition.match(/^assertion\.repository_id == '(\d+)'/)?.[1];
  return id && condition === attributeCondition(id) ? id : undefined;
}

/** The principals that may impersonate the deployer: that repository's workflows. */
export const repositoryPrincipal = (projectNumber: string, n: Names, repositoryId: string) =>
  `principalSet://iam.googleapis.com/${poolResource(projectNumber, n)}/attribute.repository_id/${repositoryId}`;

export const poolResource = (projectNumber: string, n: Names) =>
  `projects/${projectNumber}/locations/global/workloadIdentityPools/${n.pool}`;
