// Reading IAM policies as gcloud prints them (get-iam-policy --format=json).

export interface Binding {
  role: string;
  members?: string[];
  condition?: { expression?: string; title?: string };
}
export interface Policy {
  bindings?: Binding[];
  etag?: string;
}

export function hasBinding(policy: Policy | null, role: string, member: string): boolean {
  return (policy?.bindings ?? []).some(
    (b) => b.role === role && !b.condition && (b.members ?? []).includes(member),
  );
}

export function rolesOf(policy: Policy | null, member: string): string[] {
  return (policy?.bindings ?? [])
    .filter((b) => (b.members ?? []).includes(member))
    .map((b) => b.role);
}

export function membersOf(policy: Policy | null, role: string): string[] {
  return (policy?.bindings ?? []).filter((b) => b.role === role).flatMap((b) => b.members ?? []);
}
