// Every cloud resource name derives from the service name, so bootstrap and
// doctor agree on what to create and what to inspect without a state file.

export interface Names {
  project: string;
  region: string;
  service: string;
  repository: string;
  runtimeSaId: string;
  runtimeSa: string;
  deployerSaId: string;
  deployerSa: string;
  pool: string;
  provider: string;
  sqlInstance: string;
  sqlConnectionName: string;
  database: string;
  dbUser: string;
  secret: string;
  imageBase: string;
}

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

export function deriveNames(project: string, region: string, service: string): Names {
  const runtimeSaId = `${service}-runtime`;
  const deployerSaId = `${service}-deployer`;
  const sqlInstance = `${service}-pg`;
  return {
    project,
    region,
    service,
    repository: service,
    runtimeSaId,
    runtimeSa: `${runtimeSaId}@${project}.iam.gserviceaccount.com`,
    deployerSaId,
    deployerSa: `${deployerSaId}@${project}.iam.gserviceaccount.com`,
    // One pool per project for GitHub; one provider per service, each pinned
    // to its own repository by its attribute condition.
    pool: 'github-actions',
    provider: `gh-${service}`.slice(0, 32),
    sqlInstance,
    sqlConnectionName: `${project}:${region}:${sqlInstance}`,
    database: service.replaceAll('-', '_'),
    dbUser: service.replaceAll('-', '_'),
    secret: `${service}-database-url`,
    imageBase: `${region}-docker.pkg.dev/${project}/${service}/${service}`,
  };
}

export function providerResource(projectNumber: string, n: Names): string {
  return `projects/${projectNumber}/locations/global/workloadIdentityPools/${n.pool}/providers/${n.provider}`;
}

/**
 * The only principal allowed to impersonate the deployer: workflows of one
 * repository. The numeric id survives a rename and cannot be re-registered by
 * someone else after a delete, so it wins when known.
 */
export function repositoryPrincipal(
  projectNumber: string,
  n: Names,
  github: string,
  githubRepoId?: string,
): string {
  const pool = `principalSet://iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/${n.pool}`;
  return githubRepoId
    ? `${pool}/attribute.repository_id/${githubRepoId}`
    : `${pool}/attribute.repository/${github}`;
}

export function attributeCondition(github: string, githubRepoId?: string): string {
  return githubRepoId
    ? `assertion.repository_id == '${githubRepoId}'`
    : `assertion.repository == '${github}'`;
}

export const ATTRIBUTE_MAPPING = [
  'google.subject=assertion.sub',
  'attribute.repository=assertion.repository',
  'attribute.repository_id=assertion.repository_id',
  'attribute.repository_owner=assertion.repository_owner',
  'attribute.ref=assertion.ref',
].join(',');

export const BASE_APIS = [
  'run.googleapis.com',
  'artifactregistry.googleapis.com',
  'iam.googleapis.com',
  'iamcredentials.googleapis.com',
  'sts.googleapis.com',
  'cloudresourcemanager.googleapis.com',
  'secretmanager.googleapis.com',
  'logging.googleapis.com',
];
export const CLOUDSQL_APIS = ['sqladmin.googleapis.com'];
