// Live checks against the project, run only when gcloud is authenticated.
// Pitfall 1: APIs disabled, registry missing. Pitfall 2: the deployer lacks
// one of its three keys, holds something broader, or the WIF provider trusts
// more than one repository.

import { membersOf, type Policy, rolesOf } from '../gcloud/iam.ts';
import { type Gcloud, GcloudError, isNotFound } from '../gcloud/run.ts';
import { BASE_APIS, deriveNames } from '../names.ts';
import type { DoctorOptions, Finding } from './types.ts';

const FORBIDDEN = [
  'roles/owner',
  'roles/editor',
  'roles/iam.serviceAccountUser',
  'roles/iam.serviceAccountTokenCreator',
];

function bootstrapFix(o: DoctorOptions): string {
  return `npm run runway -- bootstrap --project ${o.project} --region ${o.region ?? 'REGION'} --github ${o.github ?? 'OWNER/REPO'}${o.service !== 'runway' ? ` --service ${o.service}` : ''}`;
}

function failed(id: string, pitfall: number, err: unknown): Finding {
  if (err instanceof GcloudError) {
    return {
      id,
      pitfall,
      severity: 'warning',
      message: `Could not check: ${err.failure.what} failed: ${err.failure.why}`,
      fix: err.failure.fix,
    };
  }
  return {
    id,
    pitfall,
    severity: 'warning',
    message: `Could not check: ${(err as Error).message}`,
    fix: 'Re-run with --offline to skip live checks',
  };
}

export async function liveFindings(
  g: Gcloud,
  o: DoctorOptions & { project: string },
): Promise<Finding[]> {
  const out: Finding[] = [];
  const n = deriveNames(o.project, o.region ?? 'region', o.service);
  const ctx = (what: string) => ({ what, project: o.project });
  const p = `--project=${o.project}`;

  // 1. APIs
  try {
    const enabled = await g.json<Array<{ config?: { name?: string } }>>(
      ['services', 'list', '--enabled', p, '--format=json(config.name)'],
      ctx('list enabled APIs'),
    );
    const have = new Set((enabled ?? []).map((s) => s.config?.name));
    const missing = BASE_APIS.filter((a) => !have.has(a));
    if (missing.length) {
      out.push({
        id: 'apis-disabled',
        pitfall: 1,
        severity: 'error',
        message: `APIs not enabled on ${o.project}: ${missing.join(', ')}`,
        fix: `gcloud services enable ${missing.join(' ')} ${p}`,
      });
    }
  } catch (err) {
    out.push(failed('apis-disabled', 1, err));
  }

  // 1. Registry
  if (o.region) {
    try {
      await g.json(
        [
          'artifacts',
          'repositories',
          'describe',
          n.repository,
          `--location=${o.region}`,
          p,
          '--format=json',
        ],
        ctx('read the registry repository'),
      );
    } catch (err) {
      if (isNotFound(err)) {
        out.push({
          id: 'registry-missing',
          pitfall: 1,
          severity: 'error',
          message: `Artifact Registry repository ${n.repository} does not exist in ${o.region}`,
          fix: bootstrapFix(o),
        });
      } else out.push(failed('registry-missing', 1, err));
    }
  }

  // 2. Deployer roles
  const deployer = `serviceAccount:${n.deployerSa}`;
  const runtime = `serviceAccount:${n.runtimeSa}`;
  try {
    const policy = await g.json<Policy>(
      ['projects', 'get-iam-policy', o.project, '--format=json'],
      ctx('read the project IAM policy'),
    );
    const roles = rolesOf(policy, deployer);
    if (!roles.includes('roles/run.admin') && !roles.includes('roles/run.developer')) {
      out.push({
        id: 'deployer-run-role',
        pitfall: 2,
        severity: 'error',
        message: `${n.deployerSa} has neither roles/run.developer nor roles/run.admin: it cannot deploy`,
        fix: `gcloud projects add-iam-policy-binding ${o.project} --member=${deployer} --role=roles/run.developer --condition=None`,
      });
    }
    for (const member of [deployer, runtime]) {
      for (const role of rolesOf(policy, member).filter((r) => FORBIDDEN.includes(r))) {
        out.push({
          id: 'service-account-too-broad',
          pitfall: 2,
          severity: 'error',
          message: `${member} holds ${role} on the whole project${role === 'roles/iam.serviceAccountUser' ? ' (it can act as every account, including the Compute default one)' : ''}`,
          fix: `gcloud projects remove-iam-policy-binding ${o.project} --member=${member} --role=${role} --all`,
        });
      }
    }
  } catch (err) {
    out.push(failed('deployer-run-role', 2, err));
  }
  if (o.region) {
    try {
      const policy = await g.json<Policy>(
        [
          'artifacts',
          'repositories',
          'get-iam-policy',
          n.repository,
          `--location=${o.region}`,
          p,
          '--format=json',
        ],
        ctx('read the repository IAM policy'),
      );
      const roles = rolesOf(policy, deployer);
      if (
        !roles.includes('roles/artifactregistry.writer') &&
        !roles.includes('roles/artifactregistry.repoAdmin')
      ) {
        out.push({
          id: 'deployer-registry-writer',
          pitfall: 2,
          severity: 'error',
          message: `${n.deployerSa} cannot push to ${n.repository} (no roles/artifactregistry.writer on the repository)`,
          fix: `gcloud artifacts repositories add-iam-policy-binding ${n.repository} --location=${o.region} --member=${deployer} --role=roles/artifactregistry.writer ${p}`,
        });
      }
    } catch (err) {
      if (!isNotFound(err)) out.push(failed('deployer-registry-writer', 2, err));
    }
  }
  try {
    const policy = await g.json<Policy>(
      ['iam', 'service-accounts', 'get-iam-policy', n.runtimeSa, p, '--format=json'],
      ctx('read the runtime account IAM policy'),
    );
    if (!rolesOf(policy, deployer).includes('roles/iam.serviceAccountUser')) {
      out.push({
        id: 'deployer-act-as-runtime',
        pitfall: 2,
        severity: 'error',
        message: `${n.deployerSa} cannot act as ${n.runtimeSa} (no roles/iam.serviceAccountUser on that account), so deploys fail with "Permission 'iam.serviceaccounts.actAs' denied"`,
        fix: `gcloud iam service-accounts add-iam-policy-binding ${n.runtimeSa} --member=${deployer} --role=roles/iam.serviceAccountUser ${p}`,
      });
    }
  } catch (err) {
    out.push(
      isNotFound(err)
        ? {
            id: 'runtime-sa-missing',
            pitfall: 2,
            severity: 'error',
            message: `${n.runtimeSa} does not exist`,
            fix: bootstrapFix(o),
          }
        : failed('deployer-act-as-runtime', 2, err),
    );
  }

  // 2. WIF provider condition
  try {
    const provider = await g.json<{ attributeCondition?: string }>(
      [
        'iam',
        'workload-identity-pools',
        'providers',
        'describe',
        n.provider,
        `--workload-identity-pool=${n.pool}`,
        '--location=global',
        p,
        '--format=json',
      ],
      ctx('read the WIF provider'),
    );
    const cond = provider?.attributeCondition ?? '';
    const pinned = /assertion\.repository(?:_id)?\s*==\s*['"][^'"]+['"]/.test(cond);
    const right =
      !o.github ||
      cond.includes(`'${o.github}'`) ||
      cond.includes(`"${o.github}"`) ||
      /repository_id/.test(cond);
    if (!pinned || !right) {
      out.push({
        id: 'wif-condition-unpinned',
        pitfall: 2,
        severity: 'error',
        message: `WIF provider ${n.provider} condition ${JSON.stringify(cond)} does not pin ${o.github ?? 'one repository'}: tokens of other GitHub repositories are accepted`,
        fix: `gcloud iam workload-identity-pools providers update-oidc ${n.provider} --workload-identity-pool=${n.pool} --location=global --attribute-condition="assertion.repository == '${o.github ?? 'OWNER/REPO'}'" ${p}`,
      });
    }
  } catch (err) {
    out.push(
      isNotFound(err)
        ? {
            id: 'wif-provider-missing',
            pitfall: 2,
            severity: 'error',
            message: `WIF provider ${n.provider} does not exist in pool ${n.pool}`,
            fix: bootstrapFix(o),
          }
        : failed('wif-condition-unpinned', 2, err),
    );
  }
  try {
    const policy = await g.json<Policy>(
      ['iam', 'service-accounts', 'get-iam-policy', n.deployerSa, p, '--format=json'],
      ctx('read the deployer IAM policy'),
    );
    for (const m of membersOf(policy, 'roles/iam.workloadIdentityUser')) {
      if (m.endsWith('/*') || !/attribute\.repository(_id)?\//.test(m)) {
        out.push({
          id: 'wif-binding-too-broad',
          pitfall: 2,
          severity: 'error',
          message: `${m} may impersonate the deployer: that is more than one repository`,
          fix: `gcloud iam service-accounts remove-iam-policy-binding ${n.deployerSa} --role=roles/iam.workloadIdentityUser --member=${m} ${p}`,
        });
      }
    }
  } catch (err) {
    if (!isNotFound(err)) out.push(failed('wif-binding-too-broad', 2, err));
  }
  return out;
}
