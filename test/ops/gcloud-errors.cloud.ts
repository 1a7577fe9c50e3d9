// Every class of gcloud failure, from what the real gcloud prints when the
// stand-in answers the error Google documents: the class, and the one line
// that names what failed, why, and the fix. The network class is tested
// through bootstrap (bootstrap.test.ts), beside the slow runs: gcloud tries
// for half a minute before it gives up.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { monitoringRest } from '../../ops/gcloud/rest.ts';
import { createGcloud, GcloudError } from '../../ops/gcloud/run.ts';
import type { Fault, Standin } from '../standin/server.ts';
import { cloud, PROJECT } from './helpers/cloud.ts';

const errorInfo = (reason: string, metadata: Record<string, string>, domain = 'googleapis.com') => [
  { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain, metadata },
];

interface Case {
  kind: string;
  argv: string[];
  fault?: Omit<Fault, 'path'>;
  env?: Record<string, string | undefined>;
  line: string;
}

const listAccounts = ['iam', 'service-accounts', 'list', `--project=${PROJECT}`, '--format=json'];
const pools = (verb: string) => [
  'iam',
  'workload-identity-pools',
  ...verb.split(' '),
  '--location=global',
  `--project=${PROJECT}`,
];
const cases: Case[] = [
  {
    kind: 'permission-denied',
    argv: ['iam', 'service-accounts', 'create', 'runway-runtime', `--project=${PROJECT}`],
    fault: {
      status: 403,
      reason: 'PERMISSION_DENIED',
      message: "Permission 'iam.serviceAccounts.create' denied on resource (or it may not exist).",
      details: errorInfo(
        'IAM_PERMISSION_DENIED',
        { permission: 'iam.serviceAccounts.create' },
        'iam.googleapis.com',
      ),
    },
    line: `do it failed: the active gcloud account lacks the permission iam.serviceAccounts.create on project ${PROJECT}. Fix: gcloud projects add-iam-policy-binding ${PROJECT} --member=user:$(gcloud config get account) --role=roles/owner (as a project owner)`,
  },
  {
    // The stand-in answers SERVICE_DISABLED itself for an API the project has not enabled.
    kind: 'api-disabled',
    argv: ['secrets', 'list', `--project=${PROJECT}`, '--format=json'],
    line: `do it failed: the secretmanager.googleapis.com API is not enabled on project ${PROJECT}. Fix: gcloud services enable secretmanager.googleapis.com --project=${PROJECT}`,
  },
  {
    // gcloud artifacts prints the error body as JSON.
    kind: 'api-disabled',
    argv: [
      'artifacts',
      'repositories',
      'list',
      '--location=europe-west1',
      `--project=${PROJECT}`,
      '--format=json',
    ],
    fault: {
      status: 403,
      reason: 'PERMISSION_DENIED',
      message:
        'Artifact Registry API has not been used in project 123456789012 before or it is disabled.',
      details: errorInfo('SERVICE_DISABLED', { service: 'artifactregistry.googleapis.com' }),
    },
    line: `do it failed: the artifactregistry.googleapis.com API is not enabled on project ${PROJECT}. Fix: gcloud services enable artifactregistry.googleapis.com --project=${PROJECT}`,
  },
  {
    kind: 'billing-disabled',
    argv: ['sql', 'instances', 'list', `--project=${PROJECT}`, '--format=json'],
    fault: {
      status: 403,
      reason: 'PERMISSION_DENIED',
      message:
        'This API method requires billing to be enabled. Please enable billing on project #123456789012 then retry.',
      details: errorInfo('BILLING_DISABLED', {
        service: 'sqladmin.googleapis.com',
        consumer: 'projects/123456789012',
      }),
    },
    line: `do it failed: billing is not enabled on project ${PROJECT}. Fix: gcloud billing projects link ${PROJECT} --billing-account=ACCOUNT_ID (gcloud billing accounts list shows yours)`,
  },
  {
    // Enabling an API that needs billing fails before any API call can.
    kind: 'billing-disabled',
    argv: ['services', 'enable', 'sqladmin.googleapis.com', `--project=${PROJECT}`],
    fault: {
      status: 400,
      reason: 'FAILED_PRECONDITION',
      message:
        "Billing account for project '123456789012' is not found. Billing must be enabled for activation of service(s) 'sqladmin.googleapis.com' to proceed.",
      details: errorInfo(
        'UREQ_PROJECT_BILLING_NOT_FOUND',
        { services: 'sqladmin.googleapis.com' },
        'serviceusage.googleapis.com',
      ),
    },
    line: `do it failed: billing is not enabled on project ${PROJECT}. Fix: gcloud billing projects link ${PROJECT} --billing-account=ACCOUNT_ID (gcloud billing accounts list shows yours)`,
  },
  {
    kind: 'quota',
    argv: listAccounts,
    fault: {
      status: 429,
      reason: 'RESOURCE_EXHAUSTED',
      message:
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'iam.googleapis.com'.",
      details: errorInfo('RATE_LIMIT_EXCEEDED', {
        service: 'iam.googleapis.com',
        quota_metric: 'iam.googleapis.com/read_requests',
      }),
    },
    line: `do it failed: a quota ran out: Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'iam.googleapis.com'. Fix: wait a minute and run it again; to raise the quota: https://console.cloud.google.com/iam-admin/quotas?project=${PROJECT}`,
  },
  {
    kind: 'not-found',
    argv: ['projects', 'describe', PROJECT, '--format=json'],
    fault: { status: 404, reason: 'NOT_FOUND', message: 'Requested entity was not found.' },
    line: `do it failed: Projects instance [${PROJECT}] not found: Requested entity was not found. Fix: check the name and the project (${PROJECT}); bootstrap creates what is missing`,
  },
  {
    kind: 'already-exists',
    argv: ['iam', 'service-accounts', 'create', 'runway-runtime', `--project=${PROJECT}`],
    fault: {
      status: 409,
      reason: 'ALREADY_EXISTS',
      message:
        'Service account runway-runtime already exists within project projects/acme-runway-1.',
    },
    line: `do it failed: Resource in projects [${PROJECT}] is the subject of a conflict: Service account runway-runtime already exists within project projects/acme-runway-1. Fix: it was created meanwhile; run the same command again: it skips what exists`,
  },
  {
    // On a longer resource path gcloud prints the status as it comes.
    kind: 'permission-denied',
    argv: pools('list'),
    fault: {
      status: 403,
      reason: 'PERMISSION_DENIED',
      message:
        "Permission 'iam.workloadIdentityPools.list' denied on resource (or it may not exist).",
      details: errorInfo(
        'IAM_PERMISSION_DENIED',
        { permission: 'iam.workloadIdentityPools.list' },
        'iam.googleapis.com',
      ),
    },
    line: `do it failed: the active gcloud account lacks the permission iam.workloadIdentityPools.list on project ${PROJECT}. Fix: gcloud projects add-iam-policy-binding ${PROJECT} --member=user:$(gcloud config get account) --role=roles/owner (as a project owner)`,
  },
  {
    kind: 'not-found',
    argv: [...pools('providers list'), '--workload-identity-pool=github-actions'],
    fault: { status: 404, reason: 'NOT_FOUND', message: 'Requested entity was not found.' },
    line: `do it failed: NOT_FOUND: Requested entity was not found. Fix: check the name and the project (${PROJECT}); bootstrap creates what is missing`,
  },
  {
    kind: 'already-exists',
    argv: [...pools('create'), 'github-actions'],
    fault: { status: 409, reason: 'ALREADY_EXISTS', message: 'Requested entity already exists' },
    line: 'do it failed: ALREADY_EXISTS: Requested entity already exists. Fix: it was created meanwhile; run the same command again: it skips what exists',
  },
  {
    kind: 'bad-arguments',
    argv: ['iam', 'service-accounts', 'create', 'runway-runtime', `--project=${PROJECT}`],
    fault: {
      status: 400,
      reason: 'INVALID_ARGUMENT',
      message: 'Invalid account ID: runway-runtime.',
    },
    line: 'do it failed: INVALID_ARGUMENT: Invalid account ID: runway-runtime. Fix: correct the value the message names, then run it again',
  },
  {
    kind: 'bad-arguments',
    argv: ['iam', 'service-accounts', 'create', 'runway-runtime', '--no-such-flag'],
    line: 'do it failed: gcloud rejected the command line: unrecognized arguments: --no-such-flag. Fix: gcloud components update (an older gcloud lacks this flag)',
  },
  {
    kind: 'not-logged-in',
    argv: ['projects', 'describe', PROJECT, '--format=json'],
    env: { CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: undefined, CLOUDSDK_CORE_ACCOUNT: undefined },
    line: 'do it failed: gcloud has no credentials. Fix: gcloud auth login',
  },
  {
    kind: 'gcloud-missing',
    argv: listAccounts,
    env: { PATH: '/nonexistent' },
    line: 'do it failed: gcloud is not installed or not on PATH. Fix: install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install), then: gcloud auth login',
  },
];

describe('gcloud failures, classified from what the real gcloud prints', {
  concurrency: true,
}, () => {
  const standins: Standin[] = [];
  after(() => Promise.all(standins.map((s) => s.close())));
  for (const c of cases) {
    it(`${c.kind}: gcloud ${c.argv.slice(0, 3).join(' ')}`, { timeout: 90_000 }, async () => {
      const s = await cloud();
      standins.push(s);
      s.state.enabled = [
        'iam.googleapis.com',
        'artifactregistry.googleapis.com',
        'sqladmin.googleapis.com',
      ];
      if (c.fault) s.faults.push({ ...c.fault, path: /./, times: 1 });
      const gcloud = createGcloud({ env: { ...s.env(), ...c.env } });
      const err = await gcloud.must(c.argv, { what: 'do it', project: PROJECT }).then(
        () => assert.fail('gcloud succeeded'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof GcloudError, String(err));
      assert.equal(err.failure.kind, c.kind, err.line);
      assert.equal(err.line, c.line);
    });
  }
});

it("the one API call gcloud cannot make (Service Monitoring) fails in gcloud's classes, and goes to gcloud's endpoint through gcloud's proxy", async () => {
  const s = await cloud();
  try {
    s.faults.push({
      method: 'POST',
      api: 'monitoring',
      path: /\/services$/,
      status: 403,
      reason: 'PERMISSION_DENIED',
      message: "Permission 'monitoring.services.create' denied on resource.",
      details: errorInfo('IAM_PERMISSION_DENIED', { permission: 'monitoring.services.create' }),
    });
    const rest = monitoringRest(createGcloud({ env: s.env() }));
    const call = {
      method: 'POST' as const,
      path: `v3/projects/${PROJECT}/services?serviceId=runway`,
      body: {},
    };
    const err = await rest(call, { what: 'do it', project: PROJECT }).then(
      () => assert.fail('the call succeeded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof GcloudError, String(err));
    assert.equal(
      err.line,
      `do it failed: the active gcloud account lacks the permission monitoring.services.create on project ${PROJECT}. Fix: gcloud projects add-iam-policy-binding ${PROJECT} --member=user:$(gcloud config get account) --role=roles/owner (as a project owner)`,
    );
    const created = await rest<{ name: string }>(call, { what: 'do it', project: PROJECT });
    assert.equal(created.name, `projects/${PROJECT}/services/runway`);
    assert.equal(s.calls.filter((c) => c.api === 'monitoring').length, 2);
  } finally {
    await s.close();
  }
});
