// Cloud Resource Manager v1: projects.get and the project's IAM policy.
// A project the caller cannot see answers 403, as Google does for a project
// that does not exist.
import { iamPolicyRoutes } from './iam.ts';
import { type Api, googleError, type Reply, type Request, type Standin } from './server.ts';

export interface Project {
  projectId: string;
  projectNumber: string;
  lifecycleState: string;
}

/** Adds a project to the stand-in's world. */
export function addProject(s: Standin, projectId: string, projectNumber: string): Project {
  const p = { projectId, projectNumber, lifecycleState: 'ACTIVE', name: projectId };
  s.state.projects = { ...s.state.projects, [projectId]: p };
  return p;
}

/** The project a path names, by id or number, or the 403 Google answers. */
export function findProject(s: Standin, idOrNumber: string): Project | Reply {
  const all = Object.values((s.state.projects ?? {}) as Record<string, Project>);
  return (
    all.find((p) => p.projectId === idOrNumber || p.projectNumber === idOrNumber) ??
    googleError(403, 'The caller does not have permission')
  );
}

export const isReply = (x: unknown): x is Reply =>
  typeof x === 'object' && x !== null && 'body' in x;

/** A handler for a path whose first group names a project: the 403 when there is none. */
export const inProject =
  (s: Standin, handle: (req: Request, m: RegExpMatchArray, p: Project) => Reply) =>
  (req: Request, m: RegExpMatchArray): Reply => {
    const p = findProject(s, m[1] as string);
    return isReply(p) ? p : handle(req, m, p);
  };

export const cloudresourcemanager: Api = (s) => [
  ['GET', /^\/v1\/projects\/([^/:]+)$/, inProject(s, (_req, _m, p) => ({ body: p }))],
  ...iamPolicyRoutes(s, /^\/v1\/projects\/([^/:]+)/, (id) => {
    const p = findProject(s, id);
    return isReply(p) ? p : `projects/${p.projectId}`;
  }),
];
