// A stand-in of the Google APIs that bootstrap and doctor call, with one
// project in it, for the real gcloud to talk to; and the project as one full
// bootstrap leaves it, run once per test process and shared as a snapshot.

import { deriveNames } from '../../../ops/names.ts';
import { artifactregistry } from '../../standin/artifactregistry.ts';
import { type CliResult, runCli } from '../../standin/cli.ts';
import { addProject, cloudresourcemanager } from '../../standin/cloudresourcemanager.ts';
import { compute } from '../../standin/compute.ts';
import { iam } from '../../standin/iam.ts';
import { monitoring } from '../../standin/monitoring.ts';
import { secretmanager } from '../../standin/secretmanager.ts';
import { type Call, type Standin, startStandin } from '../../standin/server.ts';
import { serviceusage } from '../../standin/serviceusage.ts';
import { sqladmin } from '../../standin/sqladmin.ts';

export const PROJECT = 'acme-runway-1';
export const PROJECT_NUMBER = '123456789012';
export const REGION = 'europe-west1';
export const GITHUB = 'acme/runway';
export const REPOSITORY_ID = '987654';
export const names = deriveNames(PROJECT, REGION);

/** A stand-in holding the project, or a copy of an earlier stand-in's state. */
export async function cloud(state?: Standin['state']): Promise<Standin> {
  const s = await startStandin([
    cloudresourcemanager,
    serviceusage,
    iam,
    artifactregistry,
    secretmanager,
    sqladmin,
    monitoring,
    compute,
  ]);
  if (state) Object.assign(s.state, structuredClone(state));
  else addProject(s, PROJECT, PROJECT_NUMBER);
  return s;
}

export const BOOTSTRAP = [
  'bootstrap',
  '--project',
  PROJECT,
  '--region',
  REGION,
  '--github',
  GITHUB,
];
export const NOTIFY = 'oncall@example.com';
/** Every option that adds something: Cloud SQL, traces, monitoring. */
export const FULL = [
  ...BOOTSTRAP,
  '--github-repo-id',
  REPOSITORY_ID,
  '--with-cloudsql',
  '--with-traces',
  '--with-monitoring',
  '--notify',
  NOTIFY,
  '--json',
];

export interface Bootstrapped {
  result: CliResult;
  calls: Call[];
  state: Standin['state'];
}

let first: Promise<Bootstrapped> | undefined;

/**
 * `bootstrap FULL` on an empty project. The first binding on the runtime
 * account answers what IAM answers for an account it does not know yet, as
 * it does for a few seconds after the account is created.
 */
export function bootstrapped(): Promise<Bootstrapped> {
  first ??= (async () => {
    const s = await cloud();
    s.faults.push({
      method: 'POST',
      path: new RegExp(`serviceAccounts/${names.runtimeSa}:setIamPolicy$`),
      status: 400,
      reason: 'INVALID_ARGUMENT',
      message: `Service account ${names.runtimeSa} does not exist.`,
    });
    try {
      const result = await runCli(FULL, s);
      return { result, calls: s.calls, state: structuredClone(s.state) };
    } finally {
      await s.close();
    }
  })();
  return first;
}
