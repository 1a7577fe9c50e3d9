// Service Usage v1: which APIs a project has enabled. Every other API module
// wraps its routes in requireEnabled, so a call to an API that is not enabled
// gets the 403 with an ErrorInfo SERVICE_DISABLED that Google answers.
import { findProject, inProject, isReply } from './cloudresourcemanager.ts';
import { type Api, googleError, type Route, type Standin } from './server.ts';

const enabled = (s: Standin): string[] => {
  s.state.enabled ??= [];
  return s.state.enabled;
};

/** Routes of `service` that answer SERVICE_DISABLED until it is enabled. */
export function requireEnabled(s: Standin, service: string, routes: Route[]): Route[] {
  return routes.map(([method, path, handle]) => [
    method,
    path,
    (req, m) => {
      if (enabled(s).includes(service)) return handle(req, m);
      const p = findProject(s, req.path.match(/\/projects\/([^/:]+)/)?.[1] ?? '');
      const n = isReply(p) ? '0' : p.projectNumber;
      return googleError(
        403,
        `${service} has not been used in project ${n} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/${service}/overview?project=${n} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`,
        'PERMISSION_DENIED',
        [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'SERVICE_DISABLED',
            domain: 'googleapis.com',
            metadata: { consumer: `projects/${n}`, service },
          },
        ],
      );
    },
  ]);
}

export const serviceusage: Api = (s) => {
  const enable = (path: string, ids: string[]) => {
    for (const id of ids) if (!enabled(s).includes(id)) enabled(s).push(id);
    return { body: s.operation(`operations/${path.length}.${Date.now()}`, {}) };
  };
  return [
    [
      'GET',
      /^\/v1\/projects\/([^/:]+)\/services$/,
      inProject(s, (req, _m, p) => {
        const services = enabled(s).map((name) => ({
          name: `projects/${p.projectNumber}/services/${name}`,
          config: { name },
          state: 'ENABLED',
          parent: `projects/${p.projectNumber}`,
        }));
        return { body: req.query.get('filter') === 'state:DISABLED' ? {} : { services } };
      }),
    ],
    [
      'POST',
      /^\/v1\/projects\/[^/:]+\/services:batchEnable$/,
      (req) => enable(req.path, req.body.serviceIds),
    ],
    [
      'POST',
      /^\/v1\/projects\/[^/:]+\/services\/([^/:]+):enable$/,
      (req, m) => enable(req.path, [m[1] as string]),
    ],
  ];
};
