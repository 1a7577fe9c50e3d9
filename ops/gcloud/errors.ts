// Turns gcloud's stderr into one sentence: what failed, why, and the exact
// command that fixes it. The patterns are the texts gcloud and the Google APIs
// print; the order matters, because several of them overlap (an API that is
// disabled answers PERMISSION_DENIED, a missing billing account says "not
// found", and a permission error says "or it may not exist").
import type { FailureContext, GcloudResult } from './run.ts';

export type FailureKind =
  | 'gcloud-missing'
  | 'not-authenticated'
  | 'api-disabled'
  | 'billing-disabled'
  | 'quota-exceeded'
  | 'permission-denied'
  | 'already-exists'
  | 'not-found'
  | 'network'
  | 'invalid-argument'
  | 'unexpected-output'
  | 'unknown';

export interface GcloudFailure {
  kind: FailureKind;
  what: string;
  why: string;
  fix: string;
  command: string;
  api?: string;
  permission?: string;
}

function firstErrorLine(stderr: string): string {
  const line =
    stderr.split('\n').find((l) => l.startsWith('ERROR:')) ?? stderr.trim().split('\n')[0];
  return (line ?? '').replace(/^ERROR: \([^)]*\) /, '').trim();
}

export function classifyGcloudFailure(r: GcloudResult, ctx: FailureContext): GcloudFailure {
  const s = r.stderr;
  const p = ctx.project;
  const command = ['gcloud', ...r.argv].join(' ');
  const base = { what: ctx.what, command };
  const detail = firstErrorLine(s);

  if (r.code === 127 || /command not found|ENOENT/.test(s)) {
    return {
      ...base,
      kind: 'gcloud-missing',
      why: 'the gcloud CLI is not installed or not on PATH',
      fix: 'Install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install), then: gcloud auth login',
    };
  }
  if (
    /You do not currently have an active account selected|Reauthentication failed|problem refreshing your current auth tokens|does not have any valid credentials|invalid_grant|Request had invalid authentication credentials|UNAUTHENTICATED/i.test(
      s,
    )
  ) {
    return {
      ...base,
      kind: 'not-authenticated',
      why: 'gcloud has no valid credentials',
      fix: 'gcloud auth login',
    };
  }
  if (
    /SERVICE_DISABLED|has not been used in project \S+ before or it is disabled|API \[[\w.-]+\] not enabled on project/i.test(
      s,
    )
  ) {
    const api =
      s.match(/apis\/api\/([a-z0-9.-]+\.googleapis\.com)/)?.[1] ??
      s.match(/\[([a-z0-9.-]+\.googleapis\.com)\]/)?.[1] ??
      s.match(/service: '?([a-z0-9.-]+\.googleapis\.com)/)?.[1] ??
      s.match(/([a-z0-9-]+\.googleapis\.com)/)?.[1];
    return {
      ...base,
      kind: 'api-disabled',
      api,
      why: `the ${api ?? 'required'} API is not enabled on project ${p}`,
      fix: `gcloud services enable ${api ?? 'API_NAME.googleapis.com'} --project=${p}`,
    };
  }
  if (
    /BILLING_DISABLED|Billing must be enabled|billing account .*(?:not found|disabled|closed|not in good standing)|billing is (?:not enabled|disabled)|requires billing/i.test(
      s,
    )
  ) {
    return {
      ...base,
      kind: 'billing-disabled',
      why: `billing is not enabled on project ${p}`,
      fix: `gcloud billing projects link ${p} --billing-account=$(gcloud billing accounts list --filter=open=true --format='value(name)' --limit=1)`,
    };
  }
  if (
    /RESOURCE_EXHAUSTED|Quota exceeded|quota .*exceeded|rateLimitExceeded|Maximum number of .* reached|HTTPError 429/i.test(
      s,
    )
  ) {
    const sa = /service accounts/i.test(s);
    return {
      ...base,
      kind: 'quota-exceeded',
      why: `a quota was exceeded: ${detail}`,
      fix: sa
        ? `gcloud iam service-accounts list --project=${p}  # delete unused accounts, or request more at https://console.cloud.google.com/iam-admin/quotas?project=${p}`
        : `Wait a minute and re-run the same command (rate quotas refill), or request more at https://console.cloud.google.com/iam-admin/quotas?project=${p}`,
    };
  }
  if (
    /PERMISSION_DENIED|does not have permission|Permission '[\w.]+' denied|HTTPError 403|caller does not have permission|not authorized|AUTHORIZATION_ERROR|IAM_PERMISSION_DENIED/i.test(
      s,
    )
  ) {
    const permission =
      s.match(/Permission '([\w.]+)' denied/)?.[1] ??
      s.match(/\b([a-z]+\.[a-zA-Z]+\.[a-zA-Z]+) permission/)?.[1] ??
      s.match(/permission[s]? \(?'?([a-z]+\.[a-zA-Z]+\.[a-zA-Z]+)/)?.[1];
    const role = ctx.role ?? 'roles/owner';
    return {
      ...base,
      kind: 'permission-denied',
      permission,
      why: `the active gcloud account lacks ${permission ? `the permission ${permission}` : 'a permission'} on project ${p}`,
      fix: `gcloud projects add-iam-policy-binding ${p} --member="user:$(gcloud config get account)" --role=${role}  # run as a project owner`,
    };
  }
  if (/ALREADY_EXISTS|already exists|HTTPError 409|is the subject of a conflict/i.test(s)) {
    return {
      ...base,
      kind: 'already-exists',
      why: `it already exists: ${detail}`,
      fix: 'Re-run bootstrap: it reads the current state first and skips what exists',
    };
  }
  if (/NOT_FOUND|not found|HTTPError 404|does not exist|was not found/i.test(s)) {
    return {
      ...base,
      kind: 'not-found',
      why: detail || 'not found',
      fix: `gcloud projects describe ${p}`,
    };
  }
  if (
    /ConnectionError|Failed to establish a new connection|Name or service not known|Connection refused|Max retries exceeded|timed out|after a timeout/i.test(
      s,
    )
  ) {
    return {
      ...base,
      kind: 'network',
      why: `gcloud could not reach Google Cloud: ${detail}`,
      fix: 'gcloud info --run-diagnostics',
    };
  }
  if (r.code === 2 || /unrecognized arguments|Invalid choice|argument .*: /.test(s)) {
    return {
      ...base,
      kind: 'invalid-argument',
      why: `gcloud rejected the command line: ${detail}`,
      fix: 'gcloud components update  # this command needs a recent gcloud',
    };
  }
  return {
    ...base,
    kind: 'unknown',
    why: detail || `gcloud exited with code ${r.code}`,
    fix: `${command} --verbosity=debug`,
  };
}
