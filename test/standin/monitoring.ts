// Cloud Monitoring for the stand-in: dashboards (v1), alert policies, uptime
// checks, notification channels, and Service Monitoring's services and
// service level objectives (v3), and Cloud Logging's log-based metrics (v2).
// Each is created with a POST, listed and read with a GET, and changed with
// a PATCH (only the fields its updateMask names, else the whole resource) or,
// for log-based metrics, a PUT. A created resource is what was sent, with
// the name the API gives it.
import type { Api, Reply, Request, Route } from './server.ts';
import { googleError, notFound } from './server.ts';

/** Where a kind lives, and the id the API gives what is created. */
type Kind = { api: string; path: string; id: (req: Request, count: number) => string | undefined };

const byQuery = (param: string) => (req: Request) => req.query.get(param) ?? undefined;

const KINDS: Kind[] = [
  { api: 'monitoring', path: 'v1/projects/([^/]+)/dashboards', id: (_r, n) => String(n) },
  { api: 'monitoring', path: 'v3/projects/([^/]+)/alertPolicies', id: (_r, n) => String(n) },
  {
    api: 'monitoring',
    path: 'v3/projects/([^/]+)/uptimeCheckConfigs',
    id: (r, n) => `${r.body?.displayName}-${n}`,
  },
  { api: 'monitoring', path: 'v3/projects/([^/]+)/notificationChannels', id: (_r, n) => String(n) },
  { api: 'monitoring', path: 'v3/projects/([^/]+)/services', id: byQuery('serviceId') },
  {
    api: 'monitoring',
    path: 'v3/projects/([^/]+)/services/([^/]+)/serviceLevelObjectives',
    id: byQuery('serviceLevelObjectiveId'),
  },
  // A log-based metric's name is the id the client chose.
  { api: 'logging', path: 'v2/projects/([^/]+)/metrics', id: (r) => r.body?.name },
];

type Resource = Record<string, unknown> & { name: string };

export const monitoring: Api = (s) =>
  KINDS.flatMap((kind): Route[] => {
    /** The resources under a collection path ("v3/projects/p/alertPolicies"). */
    const collection = (path: string): Resource[] => {
      s.state.monitoring ??= {};
      s.state.monitoring[path] ??= [];
      return s.state.monitoring[path];
    };
    const guarded =
      (handle: (req: Request, path: string) => Reply): Route[2] =>
      (req, m) =>
        req.api === kind.api
          ? handle(req, m[0].slice(1))
          : googleError(404, `No ${kind.path} on ${req.api}.`);
    // Logging names a metric by its bare id; Monitoring by its full resource name.
    const named = (path: string) =>
      kind.api === 'logging'
        ? path.slice(path.lastIndexOf('/') + 1)
        : path.slice(path.indexOf('projects/'));
    const resource = (path: string) => {
      const items = collection(path.slice(0, path.lastIndexOf('/')));
      const name = named(path);
      return { items, name, at: items.findIndex((x) => x.name === name) };
    };
    const change = guarded((req, path) => {
      const { items, name, at } = resource(path);
      const was = items[at];
      if (!was) return notFound(name);
      const mask = req.query.get('updateMask');
      const next: Resource = mask ? { ...was } : { ...req.body, name };
      for (const field of mask?.split(',') ?? []) {
        const top = field.split('.')[0] as string;
        if (req.body?.[top] === undefined) delete next[top];
        else next[top] = req.body[top];
      }
      items[at] = next;
      return { body: next };
    });
    const list = new RegExp(`^/${kind.path}$`);
    const one = new RegExp(`^/${kind.path}/([^/]+)$`);
    return [
      [
        'POST',
        list,
        guarded((req, path) => {
          const items = collection(path);
          // A nested resource (an SLO) needs its parent (the service).
          const parent = path.slice(0, path.lastIndexOf('/'));
          if (/\/services\/[^/]+$/.test(parent) && resource(parent).at < 0)
            return notFound(named(parent));
          const id = kind.id(req, items.length + 1);
          if (!id) return googleError(400, `No id for the new resource of ${path}.`);
          const name = named(`${path}/${id}`);
          if (items.some((i) => i.name === name))
            return googleError(409, `${name} already exists.`);
          const created = { ...req.body, name };
          items.push(created);
          return { body: created };
        }),
      ],
      [
        'GET',
        list,
        guarded((_req, path) => ({
          body: { [path.slice(path.lastIndexOf('/') + 1)]: collection(path) },
        })),
      ],
      [
        'GET',
        one,
        guarded((_req, path) => {
          const { items, name, at } = resource(path);
          return items[at] ? { body: items[at] } : notFound(name);
        }),
      ],
      ['PATCH', one, change],
      ['PUT', one, change],
    ];
  });
