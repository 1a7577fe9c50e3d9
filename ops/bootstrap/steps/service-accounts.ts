// Two identities: the runtime one the service runs as (so it never gets the
// Compute default account and its Editor role), and the deployer one the
// GitHub workflow impersonates. Roles are granted by later steps.
import { isNotFound } from '../../gcloud/run.ts';
import type { Step } from '../step.ts';
import { read, write } from '../step.ts';

function serviceAccountStep(kind: 'runtime' | 'deployer'): Step<'describe' | 'create' | 'enable'> {
  return {
    id: `${kind}-sa`,
    title: `${kind === 'runtime' ? 'Runtime' : 'Deployer'} service account`,
    commands: ({ opts, names }) => {
      const id = kind === 'runtime' ? names.runtimeSaId : names.deployerSaId;
      const email = kind === 'runtime' ? names.runtimeSa : names.deployerSa;
      const p = `--project=${opts.project}`;
      return {
        describe: read(['iam', 'service-accounts', 'describe', email, p, '--format=json']),
        create: write(
          [
            'iam',
            'service-accounts',
            'create',
            id,
            `--display-name=${names.service} ${kind}`,
            `--description=${
              kind === 'runtime'
                ? `Identity of the Cloud Run service ${names.service}`
                : `Impersonated by GitHub Actions of ${opts.github} to deploy ${names.service}`
            }`,
            p,
          ],
          'if the service account is missing',
        ),
        enable: write(
          ['iam', 'service-accounts', 'enable', email, p],
          'if the service account is disabled',
        ),
      };
    },
    async apply(ctx) {
      const { opts, names } = ctx.input;
      const email = kind === 'runtime' ? names.runtimeSa : names.deployerSa;
      const cmds = this.commands(ctx.input);
      let sa: { disabled?: boolean } | null = null;
      try {
        sa = await ctx.gcloud.json(cmds.describe.argv, {
          what: `read service account ${email}`,
          project: opts.project,
          role: 'roles/iam.serviceAccountViewer',
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      if (!sa) {
        await ctx.gcloud.must(cmds.create.argv, {
          what: `create service account ${email}`,
          project: opts.project,
          role: 'roles/iam.serviceAccountAdmin',
        });
        return { status: 'created', changes: [`created ${email}`] };
      }
      if (sa.disabled) {
        await ctx.gcloud.must(cmds.enable.argv, {
          what: `enable service account ${email}`,
          project: opts.project,
          role: 'roles/iam.serviceAccountAdmin',
        });
        return { status: 'updated', changes: [`re-enabled ${email}`] };
      }
      return { status: 'unchanged', changes: [] };
    },
  };
}

export const runtimeSaStep = serviceAccountStep('runtime');
export const deployerSaStep = serviceAccountStep('deployer');
