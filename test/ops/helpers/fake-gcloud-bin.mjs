// biome-ignore-all lint/suspicious/noFallthroughSwitchClause: every case ends in out(), die() or process.exit(), which never return
// A stand-in for gcloud, small but faithful where bootstrap and doctor look:
// it records every argv (one JSON line per call), serves and mutates state
// from a JSON file (so a second run sees what the first created), refuses
// commands whose API is not enabled yet, and plays back injected failures
// with the stderr text and exit codes the real gcloud prints.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';

const statePath = process.env.FAKE_GCLOUD_STATE;
const logPath = process.env.FAKE_GCLOUD_LOG;
const argv = process.argv.slice(2);
const stdin = await new Promise((resolve) => {
  if (process.stdin.isTTY) return resolve('');
  let data = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (c) => {
    data += c;
  });
  process.stdin.on('end', () => resolve(data));
  process.stdin.on('error', () => resolve(data));
});
appendFileSync(logPath, `${JSON.stringify({ argv, stdin: stdin || undefined })}\n`);

const state = JSON.parse(readFileSync(statePath, 'utf8'));
const save = () => writeFileSync(statePath, JSON.stringify(state, null, 2));

const flags = new Map();
const positionals = [];
for (const a of argv) {
  if (a.startsWith('--')) {
    const i = a.indexOf('=');
    if (i > 0) flags.set(a.slice(2, i), a.slice(i + 1));
    else flags.set(a.slice(2), 'true');
  } else positionals.push(a);
}
const COMMANDS = [
  'auth print-access-token',
  'config get',
  'projects describe',
  'projects get-iam-policy',
  'projects add-iam-policy-binding',
  'projects remove-iam-policy-binding',
  'services list',
  'services enable',
  'artifacts repositories describe',
  'artifacts repositories create',
  'artifacts repositories set-cleanup-policies',
  'artifacts repositories get-iam-policy',
  'artifacts repositories add-iam-policy-binding',
  'iam service-accounts describe',
  'iam service-accounts create',
  'iam service-accounts enable',
  'iam service-accounts get-iam-policy',
  'iam service-accounts add-iam-policy-binding',
  'iam workload-identity-pools describe',
  'iam workload-identity-pools create',
  'iam workload-identity-pools undelete',
  'iam workload-identity-pools providers describe',
  'iam workload-identity-pools providers create-oidc',
  'iam workload-identity-pools providers update-oidc',
  'iam workload-identity-pools providers undelete',
  'sql instances describe',
  'sql instances create',
  'sql databases describe',
  'sql databases create',
  'sql users list',
  'sql users create',
  'sql users set-password',
  'secrets describe',
  'secrets create',
  'secrets versions list',
  'secrets versions add',
  'secrets get-iam-policy',
  'secrets add-iam-policy-binding',
];
const joined = positionals.join(' ');
const command = COMMANDS.filter((c) => joined === c || joined.startsWith(`${c} `)).sort(
  (a, b) => b.length - a.length,
)[0];
const gname = `gcloud.${(command ?? positionals.slice(0, 2).join(' ')).replaceAll(' ', '.')}`;
const arg = positionals[(command ?? '').split(' ').length];

function die(code, message) {
  process.stderr.write(`ERROR: (${gname}) ${message}\n`);
  process.exit(code);
}
function out(value) {
  if (flags.get('format') !== 'none') process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  process.exit(0);
}

if (!command) die(2, `Invalid choice: '${positionals.at(-1)}'.`);

const num = state.projectNumber;
const API_TITLE = {
  'artifactregistry.googleapis.com': 'Artifact Registry API',
  'iam.googleapis.com': 'Identity and Access Management (IAM) API',
  'sqladmin.googleapis.com': 'Cloud SQL Admin API',
  'secretmanager.googleapis.com': 'Secret Manager API',
  'cloudresourcemanager.googleapis.com': 'Cloud Resource Manager API',
};
const ERRORS = {
  'permission-denied': (f) =>
    `PERMISSION_DENIED: Permission '${f.permission ?? 'resourcemanager.projects.get'}' denied on resource '//cloudresourcemanager.googleapis.com/projects/${state.projectId}' (or it may not exist).\nThis command is authenticated as ${state.account} which is the active account specified by the [core/account] property.`,
  'api-disabled': (f) => apiDisabled(f.permission ?? 'artifactregistry.googleapis.com'),
  'billing-disabled': () =>
    `FAILED_PRECONDITION: Billing account for project '${num}' is not found. Billing must be enabled for activation of service(s) 'run.googleapis.com,artifactregistry.googleapis.com' to proceed.\nHelp Token: AeNz4Pg\n- '@type': type.googleapis.com/google.rpc.PreconditionFailure\n  violations:\n  - subject: ?error_code=390001&project=${num}&services=run.googleapis.com\n    type: googleapis.com/billing-enabled`,
  'quota-exceeded': () =>
    `RESOURCE_EXHAUSTED: Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute' of service 'iam.googleapis.com' for consumer 'project_number:${num}'.`,
  'already-exists': () => 'ALREADY_EXISTS: Requested entity already exists',
  'not-found': () => 'NOT_FOUND: Requested entity was not found.',
  'not-authenticated': () =>
    'You do not currently have an active account selected.\nPlease run:\n\n  $ gcloud auth login\n\nto obtain new credentials.',
};
function apiDisabled(api) {
  return `PERMISSION_DENIED: ${API_TITLE[api] ?? api} has not been used in project ${num} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/${api}/overview?project=${num} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.\n- '@type': type.googleapis.com/google.rpc.ErrorInfo\n  domain: googleapis.com\n  metadata:\n    consumer: projects/${num}\n    service: ${api}\n  reason: SERVICE_DISABLED`;
}

for (const f of state.failures ?? []) {
  if (!argv.join(' ').includes(f.match) || f.remaining === 0) continue;
  if (typeof f.remaining === 'number') {
    f.remaining -= 1;
    save();
  }
  die(1, (ERRORS[f.error] ?? (() => f.error))(f));
}
if (!state.authenticated && command !== 'config get') die(1, ERRORS['not-authenticated']());

const NEEDS_API = [
  ['artifacts ', 'artifactregistry.googleapis.com'],
  ['iam ', 'iam.googleapis.com'],
  ['sql ', 'sqladmin.googleapis.com'],
  ['secrets ', 'secretmanager.googleapis.com'],
  ['projects get-iam-policy', 'cloudresourcemanager.googleapis.com'],
  ['projects add-iam-policy-binding', 'cloudresourcemanager.googleapis.com'],
  ['projects remove-iam-policy-binding', 'cloudresourcemanager.googleapis.com'],
];
for (const [prefix, api] of NEEDS_API) {
  if (command.startsWith(prefix) && !state.services.includes(api)) die(1, apiDisabled(api));
}

const member = flags.get('member') ?? '';
const role = flags.get('role') ?? '';
function addBinding(iam) {
  let b = iam.bindings.find((x) => x.role === role);
  if (!b) {
    b = { role, members: [] };
    iam.bindings.push(b);
  }
  if (!b.members.includes(member)) b.members.push(member);
}
function sa(email) {
  const s = state.serviceAccounts[email ?? ''];
  if (!s) die(1, `NOT_FOUND: Unknown service account`);
  return s;
}

switch (command) {
  case 'auth print-access-token':
    process.stdout.write('ya29.fake-token\n');
    process.exit(0);
  case 'config get':
    process.stdout.write(`${state.account}\n`);
    process.exit(0);
  case 'projects describe':
    if (arg !== state.projectId)
      die(
        1,
        `[${state.account}] does not have permission to access projects instance [${arg}] (or it may not exist): The caller does not have permission`,
      );
    out({ projectId: state.projectId, projectNumber: num, lifecycleState: 'ACTIVE' });
  case 'projects get-iam-policy':
    out(state.projectIam);
  case 'projects add-iam-policy-binding':
    addBinding(state.projectIam);
    save();
    out(state.projectIam);
  case 'projects remove-iam-policy-binding':
    for (const b of state.projectIam.bindings)
      if (b.role === role) b.members = b.members.filter((m) => m !== member);
    save();
    out(state.projectIam);
  case 'services list':
    out(state.services.map((name) => ({ config: { name } })));
  case 'services enable':
    for (const api of positionals.slice(2))
      if (!state.services.includes(api)) state.services.push(api);
    save();
    process.stderr.write('Operation "operations/acf.p2-123" finished successfully.\n');
    process.exit(0);
  case 'artifacts repositories describe':
    if (!state.repos[arg ?? '']) die(1, 'NOT_FOUND: Requested entity was not found.');
    out({
      name: `projects/${state.projectId}/locations/${flags.get('location')}/repositories/${arg}`,
      ...state.repos[arg ?? ''],
      iam: undefined,
    });
  case 'artifacts repositories create':
    if (state.repos[arg ?? '']) die(1, 'ALREADY_EXISTS: the repository already exists');
    state.repos[arg ?? ''] = { format: 'DOCKER', iam: { bindings: [] } };
    save();
    process.stderr.write(`Created repository [${arg}].\n`);
    process.exit(0);
  case 'artifacts repositories set-cleanup-policies': {
    const repo = state.repos[arg ?? ''];
    if (!repo) die(1, 'NOT_FOUND: Requested entity was not found.');
    const policies = JSON.parse(readFileSync(flags.get('policy'), 'utf8'));
    repo.cleanupPolicies = Object.fromEntries(
      policies.map((p) => [
        p.name,
        {
          id: p.name,
          action: String(p.action.type).toUpperCase(),
          ...(p.mostRecentVersions ? { mostRecentVersions: p.mostRecentVersions } : {}),
          ...(p.condition ? { condition: p.condition } : {}),
        },
      ]),
    );
    repo.cleanupPolicyDryRun = flags.has('dry-run');
    save();
    out(repo);
  }
  case 'artifacts repositories get-iam-policy':
    out(state.repos[arg ?? '']?.iam ?? die(1, 'NOT_FOUND: Requested entity was not found.'));
  case 'artifacts repositories add-iam-policy-binding': {
    const repo = state.repos[arg ?? ''] ?? die(1, 'NOT_FOUND: Requested entity was not found.');
    addBinding(repo.iam);
    save();
    out(repo.iam);
  }
  case 'iam service-accounts describe': {
    const s = sa(arg);
    out({ email: arg, disabled: s.disabled ?? false });
  }
  case 'iam service-accounts create': {
    const email = `${arg}@${state.projectId}.iam.gserviceaccount.com`;
    if (state.serviceAccounts[email])
      die(
        1,
        `Resource in projects [${state.projectId}] is the subject of a conflict: Service account ${arg} already exists within project projects/${state.projectId}.`,
      );
    state.serviceAccounts[email] = { iam: { bindings: [] } };
    save();
    process.stderr.write(`Created service account [${arg}].\n`);
    process.exit(0);
  }
  case 'iam service-accounts enable':
    sa(arg).disabled = false;
    save();
    process.exit(0);
  case 'iam service-accounts get-iam-policy':
    out(sa(arg).iam);
  case 'iam service-accounts add-iam-policy-binding': {
    const s = sa(arg);
    addBinding(s.iam);
    save();
    out(s.iam);
  }
  case 'iam workload-identity-pools describe':
    out(state.pools[arg ?? ''] ?? die(1, 'NOT_FOUND: Requested entity was not found.'));
  case 'iam workload-identity-pools create':
    if (state.pools[arg ?? '']) die(1, 'ALREADY_EXISTS: Requested entity already exists');
    state.pools[arg ?? ''] = { state: 'ACTIVE' };
    save();
    process.exit(0);
  case 'iam workload-identity-pools undelete':
    state.pools[arg ?? ''] = { state: 'ACTIVE' };
    save();
    process.exit(0);
  case 'iam workload-identity-pools providers describe':
    out(
      state.providers[`${flags.get('workload-identity-pool')}/${arg}`] ??
        die(1, 'NOT_FOUND: Requested entity was not found.'),
    );
  case 'iam workload-identity-pools providers create-oidc':
  case 'iam workload-identity-pools providers update-oidc': {
    const key = `${flags.get('workload-identity-pool')}/${arg}`;
    if (command.endsWith('create-oidc') && state.providers[key])
      die(1, 'ALREADY_EXISTS: Requested entity already exists');
    if (!state.pools[flags.get('workload-identity-pool') ?? ''])
      die(1, 'NOT_FOUND: Requested entity was not found.');
    state.providers[key] = {
      ...(state.providers[key] ?? {}),
      state: 'ACTIVE',
      attributeCondition: flags.get('attribute-condition'),
      attributeMapping: Object.fromEntries(
        (flags.get('attribute-mapping') ?? '').split(',').map((kv) => kv.split('=')),
      ),
      oidc: { issuerUri: flags.get('issuer-uri') },
    };
    save();
    process.exit(0);
  }
  case 'iam workload-identity-pools providers undelete': {
    const p = state.providers[`${flags.get('workload-identity-pool')}/${arg}`];
    if (p) p.state = 'ACTIVE';
    save();
    process.exit(0);
  }
  case 'sql instances describe':
    out(
      state.sqlInstances[arg ?? ''] ??
        die(1, 'HTTPError 404: The Cloud SQL instance does not exist.'),
    );
  case 'sql instances create':
    if (state.sqlInstances[arg ?? ''])
      die(1, 'HTTPError 409: The Cloud SQL instance already exists.');
    state.sqlInstances[arg ?? ''] = {
      state: 'RUNNABLE',
      databaseVersion: flags.get('database-version') ?? '',
    };
    state.sqlUsers[arg ?? ''] = [{ name: 'postgres' }];
    save();
    process.exit(0);
  case 'sql databases describe':
    out(
      state.sqlDatabases[`${flags.get('instance')}/${arg}`] ?? die(1, 'HTTPError 404: Not Found'),
    );
  case 'sql databases create':
    state.sqlDatabases[`${flags.get('instance')}/${arg}`] = { name: arg };
    save();
    process.exit(0);
  case 'sql users list':
    out(state.sqlUsers[flags.get('instance') ?? ''] ?? []);
  case 'sql users create':
  case 'sql users set-password': {
    state.sqlUsers[flags.get('instance') ?? ''] ??= [];
    const list = state.sqlUsers[flags.get('instance') ?? ''];
    const existing = list.find((u) => u.name === arg);
    if (existing) existing.password = flags.get('password');
    else list.push({ name: arg ?? '', password: flags.get('password') });
    save();
    process.exit(0);
  }
  case 'secrets describe':
    if (!state.secrets[arg ?? ''])
      die(1, `NOT_FOUND: Secret [projects/${num}/secrets/${arg}] not found or has no versions.`);
    out({ name: `projects/${num}/secrets/${arg}` });
  case 'secrets create':
    if (state.secrets[arg ?? ''])
      die(1, `ALREADY_EXISTS: Secret [projects/${num}/secrets/${arg}] already exists.`);
    state.secrets[arg ?? ''] = {
      versions: [{ state: 'ENABLED', data: stdin }],
      iam: { bindings: [] },
    };
    save();
    process.exit(0);
  case 'secrets versions list':
    out(
      (state.secrets[arg ?? '']?.versions ?? [])
        .filter((v) => v.state === 'ENABLED')
        .map((v, i) => ({ name: String(i + 1), state: v.state })),
    );
  case 'secrets versions add':
    state.secrets[arg ?? '']?.versions.push({ state: 'ENABLED', data: stdin });
    save();
    process.exit(0);
  case 'secrets get-iam-policy':
    out(state.secrets[arg ?? '']?.iam ?? die(1, 'NOT_FOUND: Secret not found'));
  case 'secrets add-iam-policy-binding': {
    const s = state.secrets[arg ?? ''] ?? die(1, 'NOT_FOUND: Secret not found');
    addBinding(s.iam);
    save();
    out(s.iam);
  }
}
die(2, `unhandled command ${command}`);
