// Artifact Registry v1: repositories (create, list, get, patch) and their IAM
// policies. Repositories are keyed by "LOCATION/NAME".
import { inProject } from './cloudresourcemanager.ts';
import { iamPolicyRoutes } from './iam.ts';
import { type Api, googleError, notFound, type Route } from './server.ts';
import { requireEnabled } from './serviceusage.ts';

const REPOS = '^\\/v1\\/projects\\/([^/:]+)\\/locations\\/([^/:]+)\\/repositories';

export const artifactregistry: Api = (s) => {
  s.state.repositories ??= {};
  const repo = (m: RegExpMatchArray) =>
    s.state.repositories[`${m[2]}/${m[3]}`] ?? notFound(`Repository ${m[3]}`);
  const routes: Route[] = [
    [
      'GET',
      new RegExp(`${REPOS}$`),
      inProject(s, (_req, m, _p) => {
        const repositories = Object.entries(s.state.repositories)
          .filter(([k]) => k.startsWith(`${m[2]}/`))
          .map(([, v]) => v);
        return { body: { repositories } };
      }),
    ],
    [
      'POST',
      new RegExp(`${REPOS}$`),
      inProject(s, (req, m, p) => {
        const id = req.query.get('repositoryId');
        const key = `${m[2]}/${id}`;
        if (s.state.repositories[key]) return googleError(409, `the repository already exists`);
        const now = new Date().toISOString();
        s.state.repositories[key] = {
          ...req.body,
          name: `projects/${p.projectId}/locations/${m[2]}/repositories/${id}`,
          createTime: now,
          updateTime: now,
        };
        const op = `projects/${p.projectId}/locations/${m[2]}/operations/${Date.now()}`;
        return { body: s.operation(op, s.state.repositories[key]) };
      }),
    ],
    [
      'GET',
      new RegExp(`${REPOS}\\/([^/:]+)$`),
      (_req, m) => {
        const r = repo(m);
        return 'name' in r ? { body: r } : r;
      },
    ],
    [
      'PATCH',
      new RegExp(`${REPOS}\\/([^/:]+)$`),
      (req, m) => {
        const r = repo(m);
        if (!('name' in r)) return r;
        for (const field of (req.query.get('updateMask') ?? '').split(',').filter(Boolean)) {
          if (field in req.body) r[field] = req.body[field];
          else delete r[field];
        }
        return { body: r };
      },
    ],
    ...iamPolicyRoutes(s, new RegExp(`${REPOS}\\/([^/:]+)`), (_n, m) =>
      s.state.repositories[`${m[2]}/${m[3]}`]
        ? `repositories/${m[2]}/${m[3]}`
        : notFound(`Repository ${m[3]}`),
    ),
  ];
  return requireEnabled(s, 'artifactregistry.googleapis.com', routes);
};
