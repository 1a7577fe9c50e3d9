// Live checks of the project, from the same state bootstrap reads and
// against the same facts (ops/names.ts): pitfall 1, an API disabled or the
// registry missing; pitfall 2, an account or the DATABASE_URL secret missing,
// a role bootstrap grants missing, a role no account of ours may hold, or a
// Workload Identity provider that trusts more than the repository's deploy
// branch. Each fix is the exact command, or bootstrap for what it creates.
import { bindingArgv, membersOf, rolesOf } from '../gcloud/iam.ts';
import { cmd, type Gcloud, GcloudError, shellJoin } from '../gcloud/run.ts';
import { readProject, readState, type State } from '../gcloud/state.ts';
import {
  DEFAULT_SERVICE,
  DEPLOY_REF,
  deriveNames,
  FORBIDDEN_ROLES,
  grants,
  pinnedRepositoryId,
  ROLES,
  repositoryPrincipal,
  requiredApis,
  sa,
} from '../names.ts';
import type { DoctorOptions, Finding } from './types.ts';

export async function liveFindings(
  g: Gcloud,
  o: DoctorOptions & { project: string },
): Promise<Finding[]> {
  const n = deriveNames(o.project, o.region ?? '', o.service);
  let s: State;
  try {
    s = await readState(g, n, await readProject(g, n));
  } catch (err) {
    if (!(err instanceof GcloudError)) throw err;
    return [
      {
        id: 'live-checks-failed',
        pitfall: null,
        severity: 'warning',
        message: err.message,
        fix: err.failure.fix,
      },
    ];
  }
  const out: Finding[] = [];
  const found = (pitfall: 1 | 2, id: string, message: string, fix: string) =>
    out.push({ id, pitfall, severity: 'error', message, fix });
  const gcloud = (argv: string[]) => shellJoin(['gcloud', ...argv]);
  const bootstrap = [
    `npm run runway -- bootstrap --project ${o.project} --region ${o.region ?? 'REGION'} --github ${o.github ?? 'OWNER/REPO'}`,
    ...(o.service === DEFAULT_SERVICE ? [] : [`--service ${o.service}`]),
  ].join(' ');

  const missing = requiredApis().filter((a) => !s.apis.includes(a));
  if (missing.length) {
    found(
      1,
      'apis-disabled',
      `APIs not enabled on ${o.project}: ${missing.join(', ')}`,
      gcloud(cmd('services enable', ...missing, `--project=${o.project}`)),
    );
  }
  if (o.region && !s.repository) {
    found(
      1,
      'registry-missing',
      `The Docker repository ${n.repository} does not exist in ${o.region}`,
      bootstrap,
    );
  }

  for (const [account, email] of [
    [s.runtime, n.runtimeSa],
    [s.deployer, n.deployerSa],
  ] as const) {
    if (!account) found(2, 'service-account-missing', `${email} does not exist`, bootstrap);
    else if (account.disabled) {
      found(
        2,
        'service-account-disabled',
        `${email} is disabled`,
        gcloud(cmd('iam service-accounts enable', email, `--project=${o.project}`)),
      );
    }
  }
  if (!s.secret) {
    found(
      2,
      'database-url-secret-missing',
      `The secret ${n.secret} (DATABASE_URL) does not exist: Cloud Run refuses a deploy whose secret it cannot resolve`,
      `${bootstrap} (it reads DATABASE_URL from stdin, or add --with-cloudsql)`,
    );
  }
  const member = (m: string) => (m === sa(n.runtimeSa) ? s.runtime : s.deployer);
  for (const grant of grants(n, {})) {
    // A policy is read only where the resource exists; a missing one is reported above.
    if (!s.policies[grant.on] || !member(grant.member)) continue;
    const held = rolesOf(s.policies[grant.on], grant.member);
    // The deploy works with either Cloud Run role; run.admin is what --public grants.
    const alike =
      grant.role === ROLES.deployRun({})
        ? [grant.role, ROLES.deployRun({ public: true })]
        : [grant.role];
    if (!held.some((r) => alike.includes(r))) {
      found(
        2,
        'role-missing',
        `${grant.member} lacks ${grant.role} on the ${grant.on}: ${grant.why}`,
        gcloud(bindingArgv('add', grant, n)),
      );
    }
  }
  for (const m of [sa(n.runtimeSa), sa(n.deployerSa)]) {
    for (const role of rolesOf(s.policies.project, m).filter((r) => FORBIDDEN_ROLES.includes(r))) {
      found(
        2,
        'service-account-too-broad',
        `${m} holds ${role} on the whole project`,
        gcloud(bindingArgv('remove', { on: 'project', member: m, role }, n)),
      );
    }
  }

  const provider =
    s.pool?.state === 'ACTIVE' && s.provider?.state === 'ACTIVE' ? s.provider : undefined;
  const id = pinnedRepositoryId(provider?.attributeCondition);
  if (!provider) {
    found(
      2,
      'wif-provider-missing',
      `The Workload Identity provider ${n.pool}/${n.provider} does not exist or is deleted`,
      bootstrap,
    );
  } else if (!id) {
    found(
      2,
      'wif-condition-unpinned',
      `The provider ${n.provider} accepts ${JSON.stringify(provider.attributeCondition ?? '')}, not one repository on ${DEPLOY_REF}: other workflows can act as the deployer`,
      bootstrap,
    );
  }
  // One repository's workflows, and the pinned one's when the condition names it.
  const allowed = repositoryPrincipal(s.projectNumber, n, id ?? '');
  const impersonators = membersOf(s.policies.deployer, ROLES.impersonate);
  const oneRepository = (m: string) =>
    id ? m === allowed : m.startsWith(allowed) && /\/\d+$/.test(m);
  for (const m of impersonators.filter((x) => !oneRepository(x))) {
    found(
      2,
      'wif-binding-too-broad',
      `${m} may act as the deployer: only the pinned repository should`,
      gcloud(bindingArgv('remove', { on: 'deployer', member: m, role: ROLES.impersonate }, n)),
    );
  }
  if (id && s.deployer && !impersonators.includes(allowed)) {
    found(
      2,
      'wif-binding-missing',
      `The deploy workflow cannot act as ${n.deployerSa}`,
      gcloud(bindingArgv('add', { on: 'deployer', member: allowed, role: ROLES.impersonate }, n)),
    );
  }
  return out;
}
