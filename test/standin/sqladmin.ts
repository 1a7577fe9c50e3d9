// Cloud SQL Admin v1beta4 (the version gcloud sql calls): instances,
// databases and users. Writes answer a sql#operation that is already DONE,
// which gcloud polls once at projects/P/operations/NAME.
import { inProject } from './cloudresourcemanager.ts';
import { type Api, googleError, notFound, type Reply, type Route } from './server.ts';
import { requireEnabled } from './serviceusage.ts';

const PROJECT = '^\\/sql\\/v1beta4\\/projects\\/([^/:]+)';
const INSTANCE = `${PROJECT}\\/instances\\/([^/:]+)`;

export const sqladmin: Api = (s) => {
  s.state.sql ??= { instances: {}, databases: {}, users: {}, operations: {} };
  const done = (project: string, operationType: string, targetId: string): Reply => {
    const name = `op-${Object.keys(s.state.sql.operations).length + 1}`;
    s.state.sql.operations[name] = {
      kind: 'sql#operation',
      name,
      status: 'DONE',
      operationType,
      targetId,
      targetProject: project,
      selfLink: `https://sqladmin.googleapis.com/sql/v1beta4/projects/${project}/operations/${name}`,
      targetLink: `https://sqladmin.googleapis.com/sql/v1beta4/projects/${project}/instances/${targetId}`,
    };
    return { body: s.state.sql.operations[name] };
  };
  // Lists and creates of databases and users share one shape.
  const children = (kind: 'databases' | 'users'): Route[] => [
    [
      'GET',
      new RegExp(`${INSTANCE}\\/${kind}$`),
      (_req, m) => {
        if (!s.state.sql.instances[m[2] as string]) return notFound(`Instance ${m[2]}`);
        return {
          body: {
            kind: `sql#${kind}List`,
            items: Object.values(s.state.sql[kind][m[2] as string] ?? {}),
          },
        };
      },
    ],
    [
      'POST',
      new RegExp(`${INSTANCE}\\/${kind}$`),
      (req, m) => {
        const instance = m[2] as string;
        if (!s.state.sql.instances[instance]) return notFound(`Instance ${instance}`);
        s.state.sql[kind][instance] ??= {};
        if (s.state.sql[kind][instance][req.body.name])
          return googleError(409, `${req.body.name} already exists.`);
        s.state.sql[kind][instance][req.body.name] = { ...req.body, instance };
        return done(m[1] as string, `CREATE_${kind.slice(0, -1).toUpperCase()}`, instance);
      },
    ],
  ];
  const routes: Route[] = [
    [
      'GET',
      new RegExp(`${PROJECT}\\/instances$`),
      () => ({ body: { items: Object.values(s.state.sql.instances) } }),
    ],
    [
      'POST',
      new RegExp(`${PROJECT}\\/instances$`),
      inProject(s, (req, _m, p) => {
        const name = req.body.name as string;
        if (s.state.sql.instances[name])
          return googleError(409, 'The Cloud SQL instance already exists.');
        s.state.sql.instances[name] = {
          ...req.body,
          kind: 'sql#instance',
          project: p.projectId,
          connectionName: `${p.projectId}:${req.body.region}:${name}`,
          state: 'RUNNABLE',
        };
        return done(p.projectId, 'CREATE', name);
      }),
    ],
    [
      'GET',
      new RegExp(`${INSTANCE}$`),
      (_req, m) =>
        s.state.sql.instances[m[2] as string]
          ? { body: s.state.sql.instances[m[2] as string] }
          : notFound(`Instance ${m[2]}`),
    ],
    [
      'GET',
      new RegExp(`${PROJECT}\\/operations\\/([^/:]+)$`),
      (_req, m) =>
        s.state.sql.operations[m[2] as string]
          ? { body: s.state.sql.operations[m[2] as string] }
          : notFound('Operation'),
    ],
    ...children('databases'),
    ...children('users'),
    [
      'PUT',
      new RegExp(`${INSTANCE}\\/users$`),
      (req, m) => {
        const user = s.state.sql.users[m[2] as string]?.[req.query.get('name') as string];
        if (!user) return notFound(`User ${req.query.get('name')}`);
        Object.assign(user, req.body);
        return done(m[1] as string, 'UPDATE_USER', m[2] as string);
      },
    ],
  ];
  return requireEnabled(s, 'sqladmin.googleapis.com', routes);
};
