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
  const permission = field(s, 'permission', '[\\w.]+');
  // The first class whose sign gcloud shows wins: [kind, sign, why, fix].
  const classes: Array<[Kind, boolean, string, string]> = [
    [
      'gcloud-missing',
      r.code === 127,
      'gcloud is not installed or not on PATH',
      'install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install), then: gcloud auth login',
    ],
    [
      'not-logged-in',
      /You do not currently have an active account selected/.test(s),
      'gcloud has no credentials',
      'gcloud auth login',
    ],
    [
      'network',
      /gcloud crashed \((?:Connection|Proxy)Error\)/.test(s),
      'gcloud could not reach Google Cloud',
      'check the network and any proxy, then run it again (gcloud info --run-diagnostics tests the connection)',
    ],
    [
      'api-disabled',
      reason === 'SERVICE_DISABLED',
      `the ${service} API is not enabled on project ${p}`,
      `gcloud services enable ${service} --project=${p}`,
    ],
    [
      'billing-disabled',
      reason === 'BILLING_DISABLED' || reason === 'UREQ_PROJECT_BILLING_NOT_FOUND',
      `billing is not enabled on project ${p}`,
      `gcloud billing projects link ${p} --billing-account=ACCOUNT_ID (gcloud billing accounts list shows yours)`,
    ],
    [
      'quota',
      /^RESOURCE_EXHAUSTED\b/.test(why),
      `a quota ran out: ${why.replace(/^RESOURCE_EXHAUSTED: /, '')}`,
      `wait a minute and run it again; to raise the quota: https://console.cloud.google.com/iam-admin/quotas?project=${p}`,
    ],
    [
      'permission-denied',
      /^PERMISSION_DENIED\b/.test(why),
      `the active gcloud account lacks ${permission ? `the permission ${permission}` : 'a permission'} on project ${p}`,
      `gcloud projects add-iam-policy-binding ${p} --member=user:$(gcloud config get account) --role=${c.role ?? 'roles/owner'} (as a project owner)`,
    ],
    [
      'not-found',
      /\] not found|^NOT_FOUND\b/.test(why),
      why,
      `check the name and the project (${p}); bootstrap creates what is missing`,
    ],
    [
      'already-exists',
      /is the subject of a conflict|^ALREADY_EXISTS\b/.test(why),
      why,
      'it was created meanwhile; run the same command again: it skips what exists',
    ],
    [
      'bad-arguments',
      r.code === 2,
      `gcloud rejected the command line: ${why}`,
      'gcloud components update (an older gcloud lacks this flag)',
    ],
    [
      'bad-arguments',
      /^INVALID_ARGUMENT\b/.test(why),
      why,
      'correct the value the message names, then run it again',
    ],
  ];
  const [kind, , because, fix] = classes.find(([, sign]) => sign) ?? [
    'unknown',
    true,
    why || `gcloud exited with code ${r.code}`,
    `see what gcloud sent: gcloud ${r.argv.join(' ')} --verbosity=debug`,
  ];
  return { kind, what: c.what, why: because, fix };
}
