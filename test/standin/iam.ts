// IAM v1: service accounts, Workload Identity pools and their OIDC
// providers, and the getIamPolicy / setIamPolicy pair that every API here
// serves the same way. Service accounts are keyed by email, pools by id,
// providers by "pool/provider"; deleted pools and providers stay listed with
// showDeleted, as Google keeps them for 30 days.
import { findProject, inProject, isReply } from './cloudresourcemanager.ts';
import { type Api, googleError, notFound, type Reply, type Route, type Standin } from './server.ts';
import { requireEnabled } from './serviceusage.ts';

export interface Binding {
  role: string;
  members: string[];
  condition?: { expression: string; title?: string };
}
export interface Policy {
  version?: number;
  etag: string;
  bindings?: Binding[];
}

/** The stored policy of a resource key ("projects/P", "serviceAccounts/EMAIL"...). */
export function policyOf(s: Standin, key: string): Policy {
  s.state.policies ??= {};
  s.state.policies[key] ??= { version: 1, etag: 'ACAB' };
  return s.state.policies[key];
}

/**
 * RESOURCE:getIamPolicy and RESOURCE:setIamPolicy under `prefix`, whose
 * first group names the resource; `key` maps it to the stored policy's key,
 * or to the error a missing resource answers.
 */
export function iamPolicyRoutes(
  s: Standin,
  prefix: RegExp,
  key: (name: string, m: RegExpMatchArray) => string | Reply,
): Route[] {
  const at = (verb: string) => new RegExp(`${prefix.source}:${verb}$`);
  const get = (_req: unknown, m: RegExpMatchArray) => {
    const k = key(m[1] as string, m);
    return typeof k === 'string' ? { body: policyOf(s, k) } : k;
  };
  return [
    // Some APIs read a policy with GET (Artifact Registry, Secret Manager), others with POST.
    ['GET', at('getIamPolicy'), get],
    ['POST', at('getIamPolicy'), get],
    [
      'POST',
      at('setIamPolicy'),
      (req, m) => {
        const k = key(m[1] as string, m);
        if (typeof k !== 'string') return k;
        // Google refuses a binding for a service account it does not know.
        for (const b of (req.body.policy as Policy).bindings ?? []) {
          for (const member of b.members) {
            const email = member.match(/^serviceAccount:(.+\.iam\.gserviceaccount\.com)$/)?.[1];
            if (email && !s.state.serviceAccounts?.[email]) {
              return googleError(400, `Service account ${email} does not exist.`);
            }
          }
        }
        const etag = Buffer.from(String(Date.now() + Math.random())).toString('base64');
        s.state.policies[k] = { ...req.body.policy, etag };
        return { body: s.state.policies[k] };
      },
    ],
  ];
}

const PROJECT = '\\/v1\\/projects\\/([^/:]+)';
const POOLS = `${PROJECT}\\/locations\\/global\\/workloadIdentityPools`;

export const iam: Api = (s) => {
  s.state.serviceAccounts ??= {};
  s.state.pools ??= {};
  s.state.providers ??= {};
  const sa = (email: string) =>
    s.state.serviceAccounts[email] ?? notFound(`Service account ${email}`);
  const number = (id: string) => {
    const p = findProject(s, id);
    return isReply(p) ? p : p.projectNumber;
  };
  // Creating a pool or provider answers an operation that is already done.
  const created = (path: string, resource: unknown) => ({
    body: s.operation(`${path.replace(/^\/v1\//, '')}/operations/${Date.now()}`, resource),
  });
  const routes: Route[] = [
    [
      'GET',
      new RegExp(`^${PROJECT}\\/serviceAccounts$`),
      (_req, m) => {
        const n = number(m[1] as string);
        if (typeof n !== 'string') return n;
        return { body: { accounts: Object.values(s.state.serviceAccounts) } };
      },
    ],
    [
      'POST',
      new RegExp(`^${PROJECT}\\/serviceAccounts$`),
      inProject(s, (req, _m, p) => {
        const email = `${req.body.accountId}@${p.projectId}.iam.gserviceaccount.com`;
        if (s.state.serviceAccounts[email]) {
          return googleError(
            409,
            `Service account ${req.body.accountId} already exists within project projects/${p.projectId}.`,
          );
        }
        s.state.serviceAccounts[email] = {
          name: `projects/${p.projectId}/serviceAccounts/${email}`,
          projectId: p.projectId,
          uniqueId: String(
            100000000000000000000n + BigInt(Object.keys(s.state.serviceAccounts).length),
          ),
          email,
          displayName: req.body.serviceAccount?.displayName ?? '',
          description: req.body.serviceAccount?.description ?? '',
          oauth2ClientId: '1',
        };
        return { body: s.state.serviceAccounts[email] };
      }),
    ],
    [
      'GET',
      new RegExp(`^${PROJECT}\\/serviceAccounts\\/([^/:]+)$`),
      (_req, m) => {
        const a = sa(m[2] as string);
        return 'email' in a ? { body: a } : a;
      },
    ],
    [
      'POST',
      new RegExp(`^${PROJECT}\\/serviceAccounts\\/([^/:]+):(enable|disable)$`),
      (_req, m) => {
        const a = sa(m[2] as string);
        if (!('email' in a)) return a;
        if (m[3] === 'enable') delete a.disabled;
        else a.disabled = true;
        return { body: {} };
      },
    ],
    ...iamPolicyRoutes(s, new RegExp(`^${PROJECT}\\/serviceAccounts\\/([^/:]+)`), (_p, m) => {
      const email = m[2] as string;
      return s.state.serviceAccounts[email]
        ? `serviceAccounts/${email}`
        : notFound(`Service account ${email}`);
    }),

    [
      'GET',
      new RegExp(`^${POOLS}$`),
      (req, m) => {
        const n = number(m[1] as string);
        if (typeof n !== 'string') return n;
        const all = Object.values(s.state.pools) as Array<{ state: string }>;
        const shown = /^true$/i.test(req.query.get('showDeleted') ?? '')
          ? all
          : all.filter((p) => p.state !== 'DELETED');
        return { body: { workloadIdentityPools: shown } };
      },
    ],
    [
      'POST',
      new RegExp(`^${POOLS}$`),
      (req, m) => {
        const n = number(m[1] as string);
        if (typeof n !== 'string') return n;
        const id = req.query.get('workloadIdentityPoolId') as string;
        if (s.state.pools[id]) return googleError(409, `Requested entity already exists`);
        s.state.pools[id] = {
          ...req.body,
          name: `projects/${n}/locations/global/workloadIdentityPools/${id}`,
          state: 'ACTIVE',
        };
        return created(`${req.path}/${id}`, s.state.pools[id]);
      },
    ],
    [
      'GET',
      new RegExp(`^${POOLS}\\/([^/:]+)$`),
      (_req, m) => {
        const pool = s.state.pools[m[2] as string];
        return pool ? { body: pool } : notFound(`Workload identity pool ${m[2]}`);
      },
    ],
    [
      'POST',
      new RegExp(`^${POOLS}\\/([^/:]+):undelete$`),
      (req, m) => {
        const pool = s.state.pools[m[2] as string];
        if (!pool) return notFound(`Workload identity pool ${m[2]}`);
        pool.state = 'ACTIVE';
        return created(req.path.replace(/:undelete$/, ''), pool);
      },
    ],

    [
      'GET',
      new RegExp(`^${POOLS}\\/([^/:]+)\\/providers$`),
      (req, m) => {
        const pool = m[2] as string;
        if (!s.state.pools[pool]) return notFound(`Workload identity pool ${pool}`);
        const all = Object.entries(s.state.providers)
          .filter(([k]) => k.startsWith(`${pool}/`))
          .map(([, v]) => v) as Array<{ state: string }>;
        const shown = /^true$/i.test(req.query.get('showDeleted') ?? '')
          ? all
          : all.filter((p) => p.state !== 'DELETED');
        return { body: { workloadIdentityPoolProviders: shown } };
      },
    ],
    [
      'POST',
      new RegExp(`^${POOLS}\\/([^/:]+)\\/providers$`),
      (req, m) => {
        const pool = s.state.pools[m[2] as string];
        if (!pool) return notFound(`Workload identity pool ${m[2]}`);
        const id = req.query.get('workloadIdentityPoolProviderId') as string;
        const k = `${m[2]}/${id}`;
        if (s.state.providers[k]) return googleError(409, 'Requested entity already exists');
        s.state.providers[k] = {
          ...req.body,
          name: `${pool.name}/providers/${id}`,
          state: 'ACTIVE',
        };
        return created(`${req.path}/${id}`, s.state.providers[k]);
      },
    ],
    [
      'PATCH',
      new RegExp(`^${POOLS}\\/([^/:]+)\\/providers\\/([^/:]+)$`),
      (req, m) => {
        const p = s.state.providers[`${m[2]}/${m[3]}`];
        if (!p) return notFound(`Workload identity pool provider ${m[3]}`);
        for (const field of (req.query.get('updateMask') ?? '').split(',')) {
          const top = field.split('.')[0] as string;
          if (top in req.body) p[top] = req.body[top];
        }
        return created(req.path, p);
      },
    ],
    [
      'POST',
      new RegExp(`^${POOLS}\\/([^/:]+)\\/providers\\/([^/:]+):undelete$`),
      (req, m) => {
        const p = s.state.providers[`${m[2]}/${m[3]}`];
        if (!p) return notFound(`Workload identity pool provider ${m[3]}`);
        p.state = 'ACTIVE';
        return created(req.path.replace(/:undelete$/, ''), p);
      },
    ],
  ];
  return requireEnabled(s, 'iam.googleapis.com', routes);
};
