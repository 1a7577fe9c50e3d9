// Turns a failed gcloud call into one sentence: what failed, why, and the
// command that fixes it. Each class is matched on what gcloud prints for the
// error Google answers: the ERROR line ("STATUS: message", except that on a
// short resource path gcloud words a 403 "does not have permission to
// access", a 404 "not found" and a 409 "is the subject of a conflict") and
// the ErrorInfo detail after it (`reason: SERVICE_DISABLED` as YAML, or as
// JSON for gcloud artifacts). The reason goes first: a disabled API answers
// 403 too.
import type { FailureContext, Result } from './run.ts';

export type Kind =
  | 'gcloud-missing'
  | 'not-logged-in'
  | 'network'
  | 'api-disabled'
  | 'billing-disabled'
  | 'quota'
  | 'permission-denied'
  | 'not-found'
  | 'already-exists'
  | 'bad-arguments'
  | 'unknown';

export interface Failure {
  kind: Kind;
  what: string;
  why: string;
  fix: string;
}

/**
 * The first ERROR line without gcloud's prefixes and its note on where the
 * token came from; an error body printed as JSON reads "STATUS: message".
 */
function detail(stderr: string): string {
  const lines = stderr.split('\n');
  // gcloud's own error line; some commands print an advice line starting with ERROR: before it.
  const line =
    lines.find((l) => l.startsWith('ERROR: (gcloud')) ??
    lines.find((l) => l.startsWith('ERROR:')) ??
    stderr.trim().split('\n')[0] ??
    '';
  const text = line.replace(/^ERROR: (\(gcloud[^)]*\) )?/, '');
  const body = text.startsWith('{"error"') ? JSON.parse(text).error : undefined;
  return (body ? `${body.status}: ${body.message}` : text)
    .replace(/^\[[^\]]*\] does not have permission to access [^:]*: /, 'PERMISSION_DENIED: ')
    .replace(/ ?This command is authenticated with .*$/, '')
    .replace(/\.?\s*$/, '');
}

/** A field of the ErrorInfo detail, printed as YAML or as JSON. */
const field = (stderr: string, name: string, value: string) =>
  stderr.match(new RegExp(`\\b${name}"?: ?"?(${value})`))?.[1];

export function classify(r: Result, c: FailureContext): Failure {
  const s = r.stderr;
  const p = c.project;
  const why = detail(s);
  const reason = field(s, 'reason', '[A-Z_]+');
  const service = field(s, 'services?', '[a-z0-9-]+\\.googleapis\\.com');
  const out = (kind: Kind, because: string, fix: string): Failure => ({
    kind,
    what: c.what,
    why: because,
    fix,
  });

  if (r.code === 127) {
    return out(
      'gcloud-missing',
      'gcloud is not installed or not on PATH',
      'install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install), then: gcloud auth login',
    );
  }
  if (/You do not currently have an active account selected/.test(s)) {
    return out('not-logged-in', 'gcloud has no credentials', 'gcloud auth login');
  }
  if (/gcloud crashed \((?:Connection|Proxy)Error\)/.test(s)) {
    return out(
      'network',
      'gcloud could not reach Google Cloud',
      'check the network and any proxy, then run it again (gcloud info --run-diagnostics tests the connection)',
    );
  }
  if (reason === 'SERVICE_DISABLED') {
    return out(
      'api-disabled',
      `the ${service} API is not enabled on project ${p}`,
      `gcloud services enable ${service} --project=${p}`,
    );
  }
  if (reason === 'BILLING_DISABLED' || reason === 'UREQ_PROJECT_BILLING_NOT_FOUND') {
    return out(
      'billing-disabled',
      `billing is not enabled on project ${p}`,
      `gcloud billing projects link ${p} --billing-account=ACCOUNT_ID (gcloud billing accounts list shows yours)`,
    );
  }
  if (/^RESOURCE_EXHAUSTED\b/.test(why)) {
    return out(
      'quota',
      `a quota ran out: ${why.replace(/^RESOURCE_EXHAUSTED: /, '')}`,
      `wait a minute and run it again; to raise the quota: https://console.cloud.google.com/iam-admin/quotas?project=${p}`,
    );
  }
  if (/^PERMISSION_DENIED\b/.test(why)) {
    const permission = field(s, 'permission', '[\\w.]+');
    const role = c.role ?? 'roles/owner';
    return out(
      'permission-denied',
      `${c.member ?? 'the active gcloud account'} lacks ${permission ? `the permission ${permission}` : 'a permission'} on project ${p}`,
      `gcloud projects add-iam-policy-binding ${p} --member=${c.member ?? 'user:$(gcloud config get account)'} --role=${role} (as a project owner)`,
    );
  }
  if (/\] not found|^NOT_FOUND\b/.test(why)) {
    return out(
      'not-found',
      why,
      `check the name and the project (${p}); bootstrap creates what is missing`,
    );
  }
  if (/is the subject of a conflict|^ALREADY_EXISTS\b/.test(why)) {
    return out(
      'already-exists',
      why,
      'it was created meanwhile; run the same command again: it skips what exists',
    );
  }
  if (r.code === 2) {
    return out(
      'bad-arguments',
      `gcloud rejected the command line: ${why}`,
      'gcloud components update (an older gcloud lacks this flag)',
    );
  }
  if (/^INVALID_ARGUMENT\b/.test(why)) {
    return out('bad-arguments', why, 'correct the value the message names, then run it again');
  }
  return out(
    'unknown',
    why || `gcloud exited with code ${r.code}`,
    `see what gcloud sent: gcloud ${r.argv.join(' ')} --verbosity=debug`,
  );
}
