// With --with-cloudsql: a PostgreSQL instance, a database, a user, and the
// DATABASE_URL in Secret Manager in the unix-socket form that Cloud Run's
// Cloud SQL connector mounts (/cloudsql/PROJECT:REGION:INSTANCE).
import { randomBytes } from 'node:crypto';
import { isNotFound } from '../../gcloud/run.ts';
import type { Names } from '../../names.ts';
import type { Step } from '../step.ts';
import { read, write } from '../step.ts';

export function generatePassword(): string {
  // base64url needs no escaping in a URL or a shell.
  return randomBytes(24).toString('base64url');
}

export function databaseUrl(names: Names, password: string): string {
  return `postgres://${names.dbUser}:${encodeURIComponent(password)}@/${names.database}?host=/cloudsql/${names.sqlConnectionName}`;
}

export const sqlInstanceStep: Step<'describe' | 'create'> = {
  id: 'sql-instance',
  title: 'Cloud SQL for PostgreSQL instance',
  commands: ({ opts, names }) => ({
    describe: read([
      'sql',
      'instances',
      'describe',
      names.sqlInstance,
      `--project=${opts.project}`,
      '--format=json',
    ]),
    create: write(
      [
        'sql',
        'instances',
        'create',
        names.sqlInstance,
        '--database-version=POSTGRES_17',
        // The smallest shared-core tier: a starter's cost floor. Resize with
        // gcloud sql instances patch --tier when the load asks for it.
        '--edition=enterprise',
        '--tier=db-f1-micro',
        `--region=${opts.region}`,
        '--availability-type=zonal',
        '--storage-size=10',
        '--storage-auto-increase',
        `--project=${opts.project}`,
      ],
      'if the instance is missing (takes 5-10 minutes)',
    ),
  }),
  async apply(ctx) {
    const { opts, names } = ctx.input;
    const cmds = this.commands(ctx.input);
    let instance: { state?: string; databaseVersion?: string } | null = null;
    try {
      instance = await ctx.gcloud.json(cmds.describe.argv, {
        what: `read Cloud SQL instance ${names.sqlInstance}`,
        project: opts.project,
        role: 'roles/cloudsql.viewer',
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (instance) {
      const notes: string[] = [];
      if (instance.state && instance.state !== 'RUNNABLE') {
        notes.push(
          `instance state is ${instance.state}; start it with: gcloud sql instances patch ${names.sqlInstance} --activation-policy=ALWAYS --project=${opts.project}`,
        );
      }
      if (instance.databaseVersion && !instance.databaseVersion.startsWith('POSTGRES')) {
        throw new Error(
          `Cloud SQL instance ${names.sqlInstance} runs ${instance.databaseVersion}, not PostgreSQL; choose another --service`,
        );
      }
      return { status: 'unchanged', changes: [], notes };
    }
    await ctx.gcloud.must(
      cmds.create.argv,
      {
        what: `create Cloud SQL instance ${names.sqlInstance}`,
        project: opts.project,
        role: 'roles/cloudsql.admin',
      },
      { timeoutMs: 30 * 60_000 },
    );
    return {
      status: 'created',
      changes: [`created Cloud SQL instance ${names.sqlConnectionName}`],
    };
  },
};

export const sqlDatabaseStep: Step<'describe' | 'create'> = {
  id: 'sql-database',
  title: 'Database on the instance',
  commands: ({ opts, names }) => {
    const scope = [`--instance=${names.sqlInstance}`, `--project=${opts.project}`];
    return {
      describe: read(['sql', 'databases', 'describe', names.database, ...scope, '--format=json']),
      create: write(
        ['sql', 'databases', 'create', names.database, ...scope],
        'if the database is missing',
      ),
    };
  },
  async apply(ctx) {
    const { opts, names } = ctx.input;
    const cmds = this.commands(ctx.input);
    try {
      await ctx.gcloud.json(cmds.describe.argv, {
        what: `read database ${names.database}`,
        project: opts.project,
        role: 'roles/cloudsql.viewer',
      });
      return { status: 'unchanged', changes: [] };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    await ctx.gcloud.must(cmds.create.argv, {
      what: `create database ${names.database} on ${names.sqlInstance}`,
      project: opts.project,
      role: 'roles/cloudsql.admin',
    });
    return { status: 'created', changes: [`created database ${names.database}`] };
  },
};

/**
 * The user and the secret go together: the password exists only in the
 * secret, so if either is missing a new password is set on the user and a new
 * secret version is written. When both exist nothing is touched.
 */
export const sqlUserSecretStep: Step<
  'users' | 'secret' | 'versions' | 'createUser' | 'setPassword' | 'createSecret' | 'addVersion'
> = {
  id: 'sql-user-secret',
  title: 'Database user and the DATABASE_URL secret',
  commands: ({ opts, names, password }) => {
    const scope = [`--instance=${names.sqlInstance}`, `--project=${opts.project}`];
    const p = `--project=${opts.project}`;
    return {
      users: read(['sql', 'users', 'list', ...scope, '--format=json']),
      secret: read(['secrets', 'describe', names.secret, p, '--format=json']),
      versions: read([
        'secrets',
        'versions',
        'list',
        names.secret,
        '--filter=state:ENABLED',
        '--limit=1',
        p,
        '--format=json',
      ]),
      createUser: {
        // gcloud sql users create has no stdin or file option for the password
        // (only --password or an interactive prompt), so it is on argv for the
        // second the call lasts; it is never printed.
        ...write(
          ['sql', 'users', 'create', names.dbUser, `--password=${password}`, ...scope],
          'if the user is missing',
        ),
        secretArgs: [password],
      },
      setPassword: {
        ...write(
          ['sql', 'users', 'set-password', names.dbUser, `--password=${password}`, ...scope],
          'if the user exists but the secret has no usable version',
        ),
        secretArgs: [password],
      },
      createSecret: {
        ...write(
          ['secrets', 'create', names.secret, '--replication-policy=automatic', '--data-file=-', p],
          'if the secret is missing',
        ),
        stdin: 'DATABASE_URL (postgres://USER:PASSWORD@/DB?host=/cloudsql/PROJECT:REGION:INSTANCE)',
      },
      addVersion: {
        ...write(
          ['secrets', 'versions', 'add', names.secret, '--data-file=-', p],
          'if the secret exists without an enabled version, or the password was reset',
        ),
        stdin: 'DATABASE_URL',
      },
    };
  },
  async apply(ctx) {
    const { opts, names } = ctx.input;
    const cmds = this.commands(ctx.input);
    const project = opts.project;
    const users = await ctx.gcloud.json<Array<{ name?: string }>>(cmds.users.argv, {
      what: `list users of ${names.sqlInstance}`,
      project,
      role: 'roles/cloudsql.viewer',
    });
    const userExists = (users ?? []).some((u) => u.name === names.dbUser);
    let secretExists = true;
    try {
      await ctx.gcloud.json(cmds.secret.argv, {
        what: `read secret ${names.secret}`,
        project,
        role: 'roles/secretmanager.viewer',
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      secretExists = false;
    }
    let hasVersion = false;
    if (secretExists) {
      const versions = await ctx.gcloud.json<unknown[]>(cmds.versions.argv, {
        what: `list versions of secret ${names.secret}`,
        project,
        role: 'roles/secretmanager.viewer',
      });
      hasVersion = (versions ?? []).length > 0;
    }
    if (userExists && hasVersion) return { status: 'unchanged', changes: [] };

    const changes: string[] = [];
    const url = databaseUrl(names, ctx.input.password);
    if (userExists) {
      await ctx.gcloud.must(cmds.setPassword.argv, {
        what: `set a new password for database user ${names.dbUser}`,
        project,
        role: 'roles/cloudsql.admin',
      });
      changes.push(`set a new password for user ${names.dbUser} (the secret had none)`);
    } else {
      await ctx.gcloud.must(cmds.createUser.argv, {
        what: `create database user ${names.dbUser}`,
        project,
        role: 'roles/cloudsql.admin',
      });
      changes.push(`created user ${names.dbUser} with a generated password`);
    }
    if (secretExists) {
      await ctx.gcloud.must(
        cmds.addVersion.argv,
        {
          what: `add a version to secret ${names.secret}`,
          project,
          role: 'roles/secretmanager.admin',
        },
        { stdin: url },
      );
      changes.push(`stored DATABASE_URL as a new version of ${names.secret}`);
    } else {
      await ctx.gcloud.must(
        cmds.createSecret.argv,
        { what: `create secret ${names.secret}`, project, role: 'roles/secretmanager.admin' },
        { stdin: url },
      );
      changes.push(`created secret ${names.secret} holding DATABASE_URL`);
    }
    return { status: userExists && secretExists ? 'updated' : 'created', changes };
  },
};
