// IAM policies as gcloud reads and changes them, for every place a role of
// ours is granted: the project, the repository, the two service accounts and
// the two secrets. Bootstrap runs these commands; doctor prints them as fixes.
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
    pepper: ['secrets', verb, n.pepper, p],
    vm: ['iam', 'service-accounts', verb, n.vmSa, p],
    instance: ['compute', 'instances', verb, n.instance, `--zone=${n.zone}`, p],
  }[on];
}

/** Adds or removes one binding. */
export const bindingArgv = (verb: 'add' | 'remove', g: Grant, n: Names) => [
  ...policyArgv(g.on, `${verb}-iam-policy-binding`, n),
  `--member=${g.member}`,
  `--role=${g.role}`,
  // On the project, where conditional bindings may exist: without --condition=None gcloud asks
  // which condition to add, and --all removes the role whatever its condition.
  ...(g.on === 'project' ? [verb === 'add' ? '--condition=None' : '--all'] : []),
  '--format=none',
];

/** The roles a member holds unconditionally. */
export const rolesOf = (policy: Policy | undefined, member: string) =>
  (policy?.bindings ?? [])
    .filter((b) => !b.condition && b.members?.includes(member))
    .map((b) => b.role);

export const membersOf = (policy: Policy | undefined, role: string) =>
  (policy?.bindings ?? []).filter((b) => b.role === role).flatMap((b) => b.members ?? []);
