// Keyless deploys: GitHub's OIDC token is exchanged for a short-lived token of
// the deployer account. Two locks keep other repositories out:
// the provider's attribute condition rejects tokens of any other repository
// (GitHub has one issuer for everyone, so a provider without a condition
// trusts every repository on GitHub), and workloadIdentityUser on the
// deployer is granted to that repository's principalSet only.

import { hasBinding, membersOf, type Policy } from '../../gcloud/iam.ts';
import { isNotFound } from '../../gcloud/run.ts';
import {
  ATTRIBUTE_MAPPING,
  attributeCondition,
  GITHUB_ISSUER,
  repositoryPrincipal,
} from '../../names.ts';
import type { Step } from '../step.ts';
import { read, write } from '../step.ts';

export const wifPoolStep: Step<'describe' | 'create' | 'undelete'> = {
  id: 'wif-pool',
  title: 'Workload Identity pool for GitHub Actions',
  commands: ({ opts, names }) => {
    const scope = ['--location=global', `--project=${opts.project}`];
    return {
      describe: read([
        'iam',
        'workload-identity-pools',
        'describe',
        names.pool,
        ...scope,
        '--format=json',
      ]),
      create: write(
        [
          'iam',
          'workload-identity-pools',
          'create',
          names.pool,
          '--display-name=GitHub Actions',
          '--description=Identities of GitHub Actions workflows',
          ...scope,
        ],
        'if the pool is missing',
      ),
      // A deleted pool stays for 30 days and blocks its ID; bring it back.
      undelete: write(
        ['iam', 'workload-identity-pools', 'undelete', names.pool, ...scope],
        'if the pool was deleted',
      ),
    };
  },
  async apply(ctx) {
    const { opts, names } = ctx.input;
    const cmds = this.commands(ctx.input);
    let pool: { state?: string; disabled?: boolean } | null = null;
    const context = (what: string) => ({
      what,
      project: opts.project,
      role: 'roles/iam.workloadIdentityPoolAdmin',
    });
    try {
      pool = await ctx.gcloud.json(
        cmds.describe.argv,
        context(`read workload identity pool ${names.pool}`),
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!pool) {
      await ctx.gcloud.must(
        cmds.create.argv,
        context(`create workload identity pool ${names.pool}`),
      );
      return { status: 'created', changes: [`created pool ${names.pool}`] };
    }
    if (pool.state === 'DELETED') {
      await ctx.gcloud.must(
        cmds.undelete.argv,
        context(`undelete workload identity pool ${names.pool}`),
      );
      return { status: 'updated', changes: [`restored deleted pool ${names.pool}`] };
    }
    return { status: 'unchanged', changes: [] };
  },
};

interface Provider {
  state?: string;
  attributeCondition?: string;
  attributeMapping?: Record<string, string>;
  oidc?: { issuerUri?: string };
}

export function providerIsCurrent(p: Provider, condition: string): boolean {
  const want = Object.fromEntries(
    ATTRIBUTE_MAPPING.split(',').map((kv) => kv.split('=') as [string, string]),
  );
  return (
    p.attributeCondition === condition &&
    p.oidc?.issuerUri === GITHUB_ISSUER &&
    Object.entries(want).every(([k, v]) => p.attributeMapping?.[k] === v)
  );
}

export const wifProviderStep: Step<'describe' | 'create' | 'undelete' | 'update'> = {
  id: 'wif-provider',
  title: 'GitHub OIDC provider pinned to the repository',
  commands: ({ opts, names }) => {
    const scope = [
      `--workload-identity-pool=${names.pool}`,
      '--location=global',
      `--project=${opts.project}`,
    ];
    const spec = [
      `--issuer-uri=${GITHUB_ISSUER}`,
      `--attribute-mapping=${ATTRIBUTE_MAPPING}`,
      `--attribute-condition=${attributeCondition(opts.github, opts.githubRepoId)}`,
    ];
    return {
      describe: read([
        'iam',
        'workload-identity-pools',
        'providers',
        'describe',
        names.provider,
        ...scope,
        '--format=json',
      ]),
      create: write(
        [
          'iam',
          'workload-identity-pools',
          'providers',
          'create-oidc',
          names.provider,
          `--display-name=GitHub ${opts.github}`.slice(0, 32),
          ...spec,
          ...scope,
        ],
        'if the provider is missing',
      ),
      undelete: write(
        ['iam', 'workload-identity-pools', 'providers', 'undelete', names.provider, ...scope],
        'if the provider was deleted',
      ),
      update: write(
        [
          'iam',
          'workload-identity-pools',
          'providers',
          'update-oidc',
          names.provider,
          ...spec,
          ...scope,
        ],
        'if the condition, mapping or issuer differ (e.g. the condition does not pin the repository)',
      ),
    };
  },
  async apply(ctx) {
    const { opts, names } = ctx.input;
    const cmds = this.commands(ctx.input);
    const context = (what: string) => ({
      what,
      project: opts.project,
      role: 'roles/iam.workloadIdentityPoolAdmin',
    });
    let provider: Provider | null = null;
    try {
      provider = await ctx.gcloud.json<Provider>(
        cmds.describe.argv,
        context(`read provider ${names.provider}`),
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!provider) {
      await ctx.gcloud.must(cmds.create.argv, context(`create OIDC provider ${names.provider}`));
      return {
        status: 'created',
        changes: [`created provider ${names.provider} for ${opts.github}`],
      };
    }
    const changes: string[] = [];
    if (provider.state === 'DELETED') {
      await ctx.gcloud.must(cmds.undelete.argv, context(`undelete provider ${names.provider}`));
      changes.push(`restored deleted provider ${names.provider}`);
    }
    const condition = attributeCondition(opts.github, opts.githubRepoId);
    if (!providerIsCurrent(provider, condition)) {
      await ctx.gcloud.must(cmds.update.argv, context(`update provider ${names.provider}`));
      changes.push(
        `provider condition was ${JSON.stringify(provider.attributeCondition ?? '')}, now ${JSON.stringify(condition)}`,
      );
    }
    return { status: changes.length ? 'updated' : 'unchanged', changes };
  },
};

export const wifBindingStep: Step<'get' | 'add'> = {
  id: 'wif-binding',
  title: 'Only that repository may impersonate the deployer',
  commands: ({ opts, names, projectNumber }) => {
    const p = `--project=${opts.project}`;
    return {
      get: read([
        'iam',
        'service-accounts',
        'get-iam-policy',
        names.deployerSa,
        p,
        '--format=json',
      ]),
      add: write(
        [
          'iam',
          'service-accounts',
          'add-iam-policy-binding',
          names.deployerSa,
          '--role=roles/iam.workloadIdentityUser',
          `--member=${repositoryPrincipal(projectNumber, names, opts.github, opts.githubRepoId)}`,
          p,
          '--format=none',
        ],
        'if the repository cannot impersonate the deployer yet',
      ),
    };
  },
  async apply(ctx) {
    const { opts, names, projectNumber } = ctx.input;
    const cmds = this.commands(ctx.input);
    const member = repositoryPrincipal(projectNumber, names, opts.github, opts.githubRepoId);
    const policy = await ctx.gcloud.json<Policy>(cmds.get.argv, {
      what: `read the IAM policy of ${names.deployerSa}`,
      project: opts.project,
      role: 'roles/iam.serviceAccountAdmin',
    });
    const notes: string[] = [];
    // A pool-wide principalSet ("/*") would let any repository whose token the
    // provider accepts impersonate the deployer. Report it; removing it is the
    // owner's call because other workflows may rely on it.
    for (const other of membersOf(policy, 'roles/iam.workloadIdentityUser')) {
      if (other !== member) {
        notes.push(
          `also allowed to impersonate the deployer: ${other}; if unintended: gcloud iam service-accounts remove-iam-policy-binding ${names.deployerSa} --role=roles/iam.workloadIdentityUser --member=${other} --project=${opts.project}`,
        );
      }
    }
    if (hasBinding(policy, 'roles/iam.workloadIdentityUser', member)) {
      return { status: 'unchanged', changes: [], notes };
    }
    await ctx.gcloud.must(cmds.add.argv, {
      what: `allow ${opts.github} to impersonate ${names.deployerSa}`,
      project: opts.project,
      role: 'roles/iam.serviceAccountAdmin',
    });
    return {
      status: 'created',
      changes: [`granted workloadIdentityUser on the deployer to ${member}`],
      notes,
    };
  },
};
