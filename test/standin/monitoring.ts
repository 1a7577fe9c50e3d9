// Cloud Monitoring for the stand-in: dashboards (v1), alert policies and
// uptime checks (v3), and Cloud Logging's log-based metrics (v2), each
// created with a POST and listed with a GET. A created resource is what was
// sent, with the name the API gives it.
import type { Api, Request, Route } from './server.ts';
import { googleError } from './server.ts';

/** Where a kind lives, and the name the API gives what is created (none: the body's own). */
type Kind = { api: string; path: string; named?: (req: Request, id: number) => string };

const KINDS: Kind[] = [
  {
    api: 'monitoring',
    path: 'v1/projects/([^/]+)/dashboards',
    named: (_r, id) => `dashboards/${id}`,
  },
  {
    api: 'monitoring',
    path: 'v3/projects/([^/]+)/alertPolicies',
    named: (_r, id) => `alertPolicies/${id}`,
  },
  {
    api: 'monitoring',
    path: 'v3/projects/([^/]+)/uptimeCheckConfigs',
    named: (r, id) => `uptimeCheckConfigs/${r.body?.displayName}-${id}`,
  },
  // A log-based metric's name is the id the client chose.
  { api: 'logging', path: 'v2/projects/([^/]+)/metrics' },
];

export const monitoring: Api = (s) =>
  KINDS.flatMap((kind): Route[] => {
    const pattern = new RegExp(`^/${kind.path}$`);
    const list = (project: string): Record<string, unknown>[] => {
      const key = kind.path.replace('([^/]+)', project);
      s.state.monitoring ??= {};
      s.state.monitoring[key] ??= [];
      return s.state.monitoring[key];
    };
    return [
      [
        'POST',
        pattern,
        (req, m) => {
          if (req.api !== kind.api) return googleError(404, `No ${kind.path} on ${req.api}.`);
          const project = m[1] as string;
          const items = list(project);
          const name = kind.named
            ? `projects/${project}/${kind.named(req, items.length + 1)}`
            : req.body?.name;
          if (items.some((i) => i.name === name))
            return googleError(409, `${name} already exists.`);
          const created = { ...req.body, name };
          items.push(created);
          return { body: created };
        },
      ],
      [
        'GET',
        pattern,
        (_req, m) => ({ body: { [kind.path.split('/').at(-1) as string]: list(m[1] as string) } }),
      ],
    ];
  });
