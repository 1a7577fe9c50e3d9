// IAM policies as gcloud reads and changes them, for every place a role of
// ours is granted: the project, the repository, the two service accounts and
// the secret. Bootstrap runs these commands; doctor prints them as fixes.
import type { Grant, Names, Target } from '../names.ts';

export interface Policy {
  bindings?: Array<{ role: string; members?: string[]; condition?: unknown }>;
}

type Verb = 'get-iam-policy' | 'add-iam-policy-binding' | 'remove-iam-policy-binding';

export function policyArgv(on: Target, verb: Verb, n: Names): string[] {
  const p = `--project=${n.project}`;
  return {
    project: ['projects', verb, n.project],
    repository: ['artifacts', 'repositories', verb, n.repository, `--location=${n.region}`, p],
    runtime: ['iam', 'service-accounts', verb, n.runtimeSa, p],
    deployer: ['iam', 'service-accounts', verb, n.deployerSa, p],
    secret: ['secrets', verb, n.secret, p],
  }[on];
}

export const grantArgv = (g: Grant, n: Names) => [
  ...policyArgv(g.on, 'add-iam-policy-binding', n),
  `--member=${g.member}`,
  `--role=${g.role}`,
  // Without it gcloud asks which condition when the policy has conditional bindings.
  ...(g.on === 'project' ? ['--condition=None'] : []),
  '--format=none',
];

export const revokeArgv = (g: Grant, n: Names) => [
  ...policyArgv(g.on, 'remove-iam-policy-binding', n),
  `--member=${g.member}`,
  `--role=${g.role}`,
  ...(g.on === 'project' ? ['--all'] : []),
  '--format=none',
];

/** The roles a member holds unconditionally. */
export const rolesOf = (policy: Policy | undefined, member: string) =>
  (policy?.bindings ?? [])
    .filter((b) => !b.condition && b.members?.includes(member))
    .map((b) => b.role);

export const membersOf = (policy: Policy | undefined, role: string) =>
  (policy?.bindings ?? []).filter((b) => b.role === role).flatMap((b) => b.members ?? []);
