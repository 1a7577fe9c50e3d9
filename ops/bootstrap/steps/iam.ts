// Least privilege, by construction:
// - runtime: write logs and traces, connect to Cloud SQL (only with
//   --with-cloudsql), read its own secret (a binding on that secret only);
// - deployer: push to this one repository (binding on the repository),
//   deploy Cloud Run services and jobs (run.developer at project level, see
//   below), and act as the runtime account only (binding on that account,
//   never project-wide, which would let it act as every account, including
//   the Compute default one with Editor);
// - neither ever gets owner, editor, or project-wide serviceAccountUser or
//   serviceAccountTokenCreator: bootstrap removes those from its own accounts.
//
// Why run.developer and not run.admin: the pipeline deploys a revision with
// --no-traffic --tag, moves traffic with update-traffic, and creates, updates
// and executes the migration Job. All of that is run.services.* / run.jobs.*
// / run.executions.* / run.revisions.* / run.routes.*, which run.developer
// holds. What it lacks is run.*.setIamPolicy, needed only to make the service
// public (--allow-unauthenticated). --public asks for run.admin for that.

import { hasBinding, type Policy, rolesOf } from '../../gcloud/iam.ts';
import type { GcloudError } from '../../gcloud/run.ts';
import type { BootstrapOptions, PlannedCommand, Step, StepContext, StepOutcome } from '../step.ts';
import { read, write } from '../step.ts';

export const FORBIDDEN_PROJECT_ROLES = [
  'roles/owner',
  'roles/editor',
  'roles/iam.serviceAccountUser',
  'roles/iam.serviceAccountTokenCreator',
];

export function deployerRunRole(opts: Pick<BootstrapOptions, 'public'>): string {
  return opts.public ? 'roles/run.admin' : 'roles/run.developer';
}

export function runtimeProjectRoles(opts: Pick<BootstrapOptions, 'withCloudsql'>): string[] {
  const roles = ['roles/logging.logWriter', 'roles/cloudtrace.agent'];
  if (opts.withCloudsql) roles.push('roles/cloudsql.client');
  return roles;
}

const sa = (email: string) => `serviceAccount:${email}`;

// A service account created a second ago can be unknown to IAM for a few
// seconds ("Service account ... does not exist"); retry those bindings.
async function mustWithPropagation(
  ctx: StepContext,
  argv: string[],
  what: string,
  role: string,
): Promise<void> {
  const project = ctx.input.opts.project;
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.gcloud.must(argv, { what, project, role });
      return;
    } catch (err) {
      const e = err as GcloudError;
      const propagating =
        e.failure?.kind === 'not-found' ||
        /Service account .* does not exist/i.test(e.result?.stderr ?? '');
      if (!propagating || attempt >= 6) throw err;
      await new Promise((r) => setTimeout(r, ctx.retryDelayMs * attempt));
    }
  }
}

interface BindingTarget {
  get: PlannedCommand;
  add: (member: string, role: string) => string[];
  remove?: (member: string, role: string) => string[];
  label: string;
  adminRole: string;
}

async function ensureBindings(
  ctx: StepContext,
  target: BindingTarget,
  wanted: Array<{ member: string; role: string }>,
  forbidden: Array<{ member: string; role: string }> = [],
): Promise<StepOutcome> {
  const project = ctx.input.opts.project;
  const policy = await ctx.gcloud.json<Policy>(target.get.argv, {
    what: `read the IAM policy of ${target.label}`,
    project,
    role: target.adminRole,
  });
  const changes: string[] = [];
  for (const { member, role } of wanted) {
    if (hasBinding(policy, role, member)) continue;
    await mustWithPropagation(
      ctx,
      target.add(member, role),
      `grant ${role} to ${member} on ${target.label}`,
      target.adminRole,
    );
    changes.push(`granted ${role} to ${member} on ${target.label}`);
  }
  for (const { member, role } of forbidden) {
    if (!target.remove || !rolesOf(policy, member).includes(role)) continue;
    await ctx.gcloud.must(target.remove(member, role), {
      what: `remove ${role} from ${member} on ${target.label}`,
      project,
      role: target.adminRole,
    });
    changes.push(`removed ${role} from ${member} on ${target.label} (more than it needs)`);
  }
  return { status: changes.length ? 'updated' : 'unchanged', changes };
}

function projectWanted(opts: BootstrapOptions, runtimeSa: string, deployerSa: string) {
  return [
    ...runtimeProjectRoles(opts).map((role) => ({ member: sa(runtimeSa), role })),
    { member: sa(deployerSa), role: deployerRunRole(opts) },
  ];
}

function projectAdd(project: string, member: string, role: string): string[] {
  return [
    'projects',
    'add-iam-policy-binding',
    project,
    `--member=${member}`,
    `--role=${role}`,
    // Without --condition=None gcloud prompts when the policy already has
    // conditional bindings, and fails when prompts are disabled.
    '--condition=None',
    '--format=none',
  ];
}

function projectRemove(project: string, member: string, role: string): string[] {
  return [
    'projects',
    'remove-iam-policy-binding',
    project,
    `--member=${member}`,
    `--role=${role}`,
    '--all',
    '--format=none',
  ];
}

export const projectIamStep: Step = {
  id: 'project-iam',
  title: 'Project roles: runtime logs/traces/SQL, deployer Cloud Run, nothing broader',
  commands: ({ opts, names }) => {
    const cmds: Record<string, PlannedCommand> = {
      get: read(['projects', 'get-iam-policy', opts.project, '--format=json']),
    };
    for (const { member, role } of projectWanted(opts, names.runtimeSa, names.deployerSa)) {
      cmds[`add ${member} ${role}`] = write(
        projectAdd(opts.project, member, role),
        `if ${member} lacks ${role}`,
      );
    }
    cmds.remove = write(
      projectRemove(opts.project, sa(names.deployerSa), 'roles/editor'),
      `for each of ${FORBIDDEN_PROJECT_ROLES.join(', ')} that either account holds on the project (shown for roles/editor)`,
    );
    return cmds;
  },
  async apply(ctx) {
    const { opts, names } = ctx.input;
    const runtime = sa(names.runtimeSa);
    const deployer = sa(names.deployerSa);
    const otherRunRole = opts.public ? 'roles/run.developer' : 'roles/run.admin';
    return ensureBindings(
      ctx,
      {
        get: this.commands(ctx.input).get as PlannedCommand,
        add: (member, role) => projectAdd(opts.project, member, role),
        remove: (member, role) => projectRemove(opts.project, member, role),
        label: `project ${opts.project}`,
        adminRole: 'roles/resourcemanager.projectIamAdmin',
      },
      projectWanted(opts, names.runtimeSa, names.deployerSa),
      [
        ...[runtime, deployer].flatMap((member) =>
          FORBIDDEN_PROJECT_ROLES.map((role) => ({ member, role })),
        ),
        { member: deployer, role: otherRunRole },
        { member: runtime, role: 'roles/run.admin' },
        { member: runtime, role: 'roles/run.developer' },
      ],
    );
  },
};

export const registryIamStep: Step<'get' | 'add'> = {
  id: 'registry-iam',
  title: 'Deployer may push to this repository only',
  commands: ({ opts, names }) => {
    const loc = [`--location=${opts.region}`, `--project=${opts.project}`];
    return {
      get: read([
        'artifacts',
        'repositories',
        'get-iam-policy',
        names.repository,
        ...loc,
        '--format=json',
      ]),
      add: write(
        [
          'artifacts',
          'repositories',
          'add-iam-policy-binding',
          names.repository,
          `--member=${sa(names.deployerSa)}`,
          '--role=roles/artifactregistry.writer',
          ...loc,
          '--format=none',
        ],
        'if the deployer lacks artifactregistry.writer on the repository',
      ),
    };
  },
  async apply(ctx) {
    const { names } = ctx.input;
    const cmds = this.commands(ctx.input);
    return ensureBindings(
      ctx,
      {
        get: cmds.get,
        add: () => cmds.add.argv,
        label: `repository ${names.repository}`,
        adminRole: 'roles/artifactregistry.admin',
      },
      [{ member: sa(names.deployerSa), role: 'roles/artifactregistry.writer' }],
    );
  },
};

export const actAsIamStep: Step<'get' | 'add'> = {
  id: 'act-as-runtime',
  title: 'Deployer may act as the runtime account only (resource-level serviceAccountUser)',
  commands: ({ opts, names }) => ({
    get: read([
      'iam',
      'service-accounts',
      'get-iam-policy',
      names.runtimeSa,
      `--project=${opts.project}`,
      '--format=json',
    ]),
    add: write(
      [
        'iam',
        'service-accounts',
        'add-iam-policy-binding',
        names.runtimeSa,
        `--member=${sa(names.deployerSa)}`,
        '--role=roles/iam.serviceAccountUser',
        `--project=${opts.project}`,
        '--format=none',
      ],
      'if the deployer lacks serviceAccountUser on the runtime account',
    ),
  }),
  async apply(ctx) {
    const { names } = ctx.input;
    const cmds = this.commands(ctx.input);
    return ensureBindings(
      ctx,
      {
        get: cmds.get,
        add: () => cmds.add.argv,
        label: `service account ${names.runtimeSa}`,
        adminRole: 'roles/iam.serviceAccountAdmin',
      },
      [{ member: sa(names.deployerSa), role: 'roles/iam.serviceAccountUser' }],
    );
  },
};

export const secretIamStep: Step<'get' | 'add'> = {
  id: 'secret-iam',
  title: 'Runtime may read its own secret only',
  commands: ({ opts, names }) => ({
    get: read([
      'secrets',
      'get-iam-policy',
      names.secret,
      `--project=${opts.project}`,
      '--format=json',
    ]),
    add: write(
      [
        'secrets',
        'add-iam-policy-binding',
        names.secret,
        `--member=${sa(names.runtimeSa)}`,
        '--role=roles/secretmanager.secretAccessor',
        `--project=${opts.project}`,
        '--format=none',
      ],
      'if the runtime account cannot read the secret',
    ),
  }),
  async apply(ctx) {
    const { names } = ctx.input;
    const cmds = this.commands(ctx.input);
    return ensureBindings(
      ctx,
      {
        get: cmds.get,
        add: () => cmds.add.argv,
        label: `secret ${names.secret}`,
        adminRole: 'roles/secretmanager.admin',
      },
      [{ member: sa(names.runtimeSa), role: 'roles/secretmanager.secretAccessor' }],
    );
  },
};
