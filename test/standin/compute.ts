// Compute Engine v1 for the stand-in, as gcloud 528 calls it: instances
// (insert, get, aggregated list, setMetadata, stop, start, setServiceAccount,
// guest attributes, IAM policy), zones (get), firewalls (list, insert, patch,
// delete), addresses, disks, images (get; an instance names its family through
// imageFamilyViews, which Google resolves) and the operations every write
// answers, already DONE. Resources are keyed by their path below
// the project ("zones/Z/instances/N"). What the VM does when its metadata
// changes is the test's choice (onMetadata).
import { inProject } from './cloudresourcemanager.ts';
import { policyOf } from './iam.ts';
import type { Api, Reply, Route, Standin } from './server.ts';
import { requireEnabled } from './serviceusage.ts';

const BASE = 'http://compute.standin/compute/v1/';
const PROJECT = '^\\/compute\\/v1\\/projects\\/([^/:]+)';
const NAME = '([^/:]+)';

// biome-ignore lint/suspicious/noExplicitAny: Compute resources are JSON the routes read freely
type Resource = Record<string, any>;

export interface ComputeState {
  /** "zones/Z/instances/N", "global/firewalls/N", "regions/R/addresses/N", "zones/Z/disks/N". */
  resources: Map<string, Resource>;
  /** Guest attributes by instance key, each "namespace/key" to its value. */
  guest: Map<string, Record<string, string>>;
}

/** Compute's error body: google.rpc.Status's code and message, with the legacy errors list. */
export function computeError(code: number, reason: string, message: string): Reply {
  return {
    status: code,
    body: { error: { code, message, errors: [{ message, domain: 'global', reason }] } },
  };
}
const notFound = (p: string, key: string) =>
  computeError(404, 'notFound', `The resource 'projects/${p}/${key}' was not found`);

/** The metadata items of a resource as a map. */
export const metadataOf = (r: Resource | undefined): Record<string, string> =>
  Object.fromEntries(
    (r?.metadata?.items ?? []).map((i: { key: string; value: string }) => [i.key, i.value]),
  );

/** The image projects' families, newest image first, as Google publishes them. */
export const PUBLIC_IMAGES: Resource[] = [
  { project: 'debian-cloud', name: 'debian-13-trixie-v20251111', family: 'debian-13' },
  { project: 'debian-cloud', name: 'debian-12-bookworm-v20251111', family: 'debian-12' },
  { project: 'cos-cloud', name: 'cos-121-18867-199-88', family: 'cos-121-lts' },
];

const agents = new WeakMap<Standin, (instance: Resource, key: string) => void>();
/** What runs on the VMs: called after each setMetadata, as the guest agent sees the change. */
export const onMetadata = (s: Standin, agent: (instance: Resource, key: string) => void) =>
  agents.set(s, agent);

export const compute: Api = (s) => {
  s.state.compute ??= { resources: new Map(), guest: new Map() } satisfies ComputeState;
  // Read at each request: a test may replace the state with a copy.
  const c = {
    get resources() {
      return (s.state.compute as ComputeState).resources;
    },
    get guest() {
      return (s.state.compute as ComputeState).guest;
    },
  };
  /** The images of public image projects: "debian-cloud/debian-13-trixie-v20251111" to the image. */
  const images = new Map<string, Resource>();
  for (const i of PUBLIC_IMAGES) {
    images.set(`${i.project}/${i.name}`, {
      kind: 'compute#image',
      id: String(images.size + 1),
      name: i.name,
      family: i.family,
      status: 'READY',
      diskSizeGb: '10',
      architecture: 'X86_64',
      shieldedInstanceInitialState: {},
      selfLink: `${BASE}projects/${i.project}/global/images/${i.name}`,
    });
  }
  const link = (p: string, key: string) => `${BASE}projects/${p}/${key}`;
  const ops = new Map<string, Resource>();
  /** A finished operation on `target`, kept under its scope for gcloud's poll. */
  const done = (p: string, scope: string, type: string, target: Resource): Reply => {
    const name = `operation-${Date.now()}-${ops.size + 1}`;
    const key = `${scope}/operations/${name}`;
    const at = new Date().toISOString();
    const [where, place] = scope.split('/');
    const op = {
      kind: 'compute#operation',
      id: String(ops.size + 1),
      name,
      operationType: type,
      targetLink: target.selfLink,
      targetId: target.id,
      status: 'DONE',
      user: 'ops@example.com',
      progress: 100,
      insertTime: at,
      startTime: at,
      endTime: at,
      selfLink: link(p, key),
      ...(where === 'zones' ? { zone: link(p, `zones/${place}`) } : {}),
      ...(where === 'regions' ? { region: link(p, `regions/${place}`) } : {}),
    };
    ops.set(`${p}/${key}`, op);
    return { body: op };
  };
  const id = () => String(1_000_000_000_000 + c.resources.size);
  const get = (p: string, key: string): Reply => {
    const r = c.resources.get(key);
    return r ? { body: r } : notFound(p, key);
  };
  const list = (kind: string, items: Resource[]) => ({
    body: { kind: `compute#${kind}List`, id: kind, items, selfLink: BASE },
  });
  /** compute#...AggregatedList: items keyed by "zones/Z" or "regions/R". */
  const aggregated = (p: string, kind: string, collection: string) => {
    const items: Record<string, Resource> = {};
    for (const [key, r] of c.resources) {
      const [where, place, what] = key.split('/');
      if (what !== collection) continue;
      const k = `${where}/${place}`;
      items[k] ??= { [collection]: [] };
      items[k][collection].push(r);
    }
    return { body: { kind: `compute#${kind}AggregatedList`, id: p, items, selfLink: BASE } };
  };
  const create = (p: string, key: string, resource: Resource, scope: string, type = 'insert') => {
    if (c.resources.has(key))
      return computeError(
        409,
        'alreadyExists',
        `The resource 'projects/${p}/${key}' already exists`,
      );
    const r = {
      ...resource,
      id: id(),
      creationTimestamp: new Date().toISOString(),
      selfLink: link(p, key),
    };
    c.resources.set(key, r);
    return done(p, scope, type, r);
  };
  /** An instance route's handler, given the project, the zone and the instance. */
  const instance =
    (handle: (req: Resource, p: string, zone: string, i: Resource, key: string) => Reply) =>
    (req: Resource, m: RegExpMatchArray) => {
      const key = `zones/${m[2]}/instances/${m[3]}`;
      const i = c.resources.get(key);
      return i
        ? handle(req, m[1] as string, m[2] as string, i, key)
        : notFound(m[1] as string, key);
    };
  const INSTANCE = `${PROJECT}\\/zones\\/${NAME}\\/instances\\/${NAME}`;
  const image = (project: string, name: string) => images.get(`${project}/${name}`);
  const family = (project: string, name: string) =>
    [...images.values()].find(
      (i) => i.family === name && i.selfLink.includes(`/projects/${project}/`),
    );

  const routes: Route[] = [
    [
      'GET',
      new RegExp(`${PROJECT}\\/aggregated\\/instances$`),
      (_r, m) => aggregated(m[1] as string, 'instance', 'instances'),
    ],
    [
      'GET',
      new RegExp(`${PROJECT}\\/aggregated\\/addresses$`),
      (_r, m) => aggregated(m[1] as string, 'address', 'addresses'),
    ],
    ['GET', new RegExp(`${INSTANCE}$`), instance((_r, _p, _z, i) => ({ body: i }))],
    [
      'POST',
      new RegExp(`${PROJECT}\\/zones\\/${NAME}\\/instances$`),
      inProject(s, (req, m, p) => {
        const zone = m[2] as string;
        const key = `zones/${zone}/instances/${req.body.name}`;
        const disks = (req.body.disks ?? []).map((d: Resource, n: number) => {
          const source = d.initializeParams?.sourceImage as string;
          const name = d.initializeParams?.diskName ?? req.body.name;
          // gcloud names a family through its view in any zone; Google resolves it to the newest image.
          const [, project, kind, imageName] =
            source.match(
              /projects\/([^/]+)\/(?:global\/images|zones\/[^/]+\/(imageFamilyViews))\/([^/]+)$/,
            ) ?? [];
          c.resources.set(`zones/${zone}/disks/${name}`, {
            kind: 'compute#disk',
            id: id(),
            name,
            zone: link(p.projectId, `zones/${zone}`),
            sourceImage:
              (kind
                ? family(project as string, imageName as string)
                : image(project as string, imageName as string)
              )?.selfLink ?? source,
            status: 'READY',
            selfLink: link(p.projectId, `zones/${zone}/disks/${name}`),
          });
          return {
            kind: 'compute#attachedDisk',
            type: 'PERSISTENT',
            mode: 'READ_WRITE',
            boot: d.boot ?? n === 0,
            autoDelete: d.autoDelete ?? true,
            deviceName: name,
            index: n,
            source: link(p.projectId, `zones/${zone}/disks/${name}`),
          };
        });
        return create(
          p.projectId,
          key,
          {
            ...req.body,
            kind: 'compute#instance',
            zone: link(p.projectId, `zones/${zone}`),
            machineType: req.body.machineType.startsWith('http')
              ? req.body.machineType
              : link(p.projectId, req.body.machineType),
            status: 'RUNNING',
            disks,
            metadata: {
              kind: 'compute#metadata',
              fingerprint: 'fp-1',
              items: [],
              ...req.body.metadata,
            },
          },
          `zones/${zone}`,
        );
      }),
    ],
    [
      'POST',
      new RegExp(`${INSTANCE}\\/setMetadata$`),
      instance((req, p, zone, i, key) => {
        // Google refuses a change made against an older fingerprint.
        if (req.body.fingerprint !== i.metadata.fingerprint)
          return computeError(
            412,
            'conditionNotMet',
            'Supplied fingerprint does not match current metadata fingerprint.',
          );
        const n = Number(String(i.metadata.fingerprint).slice(3)) + 1;
        i.metadata = {
          kind: 'compute#metadata',
          items: req.body.items ?? [],
          fingerprint: `fp-${n}`,
        };
        const reply = done(p, `zones/${zone}`, 'setMetadata', i);
        agents.get(s)?.(i, key);
        return reply;
      }),
    ],
    ...(['stop', 'start'] as const).map(
      (verb): Route => [
        'POST',
        new RegExp(`${INSTANCE}\\/${verb}$`),
        instance((_req, p, zone, i) => {
          i.status = verb === 'stop' ? 'TERMINATED' : 'RUNNING';
          return done(p, `zones/${zone}`, verb, i);
        }),
      ],
    ),
    [
      'POST',
      new RegExp(`${INSTANCE}\\/setServiceAccount$`),
      instance((req, p, zone, i) => {
        if (i.status !== 'TERMINATED')
          return computeError(
            400,
            'resourceNotReady',
            `The resource 'projects/${p}/zones/${zone}/instances/${i.name}' is not ready`,
          );
        i.serviceAccounts = [{ email: req.body.email, scopes: req.body.scopes }];
        return done(p, `zones/${zone}`, 'setServiceAccount', i);
      }),
    ],
    [
      'GET',
      new RegExp(`${INSTANCE}\\/getGuestAttributes$`),
      instance((req, _p, _z, i, key) => {
        const wanted = (req.query.get('queryPath') ?? '').replace(/\/$/, '');
        const attrs = Object.entries(c.guest.get(key) ?? {}).filter(([k]) =>
          k.startsWith(`${wanted}/`),
        );
        if (!metadataOf(i)['enable-guest-attributes'] || attrs.length === 0)
          return notFound(_p, `${key}/guestAttributes/${wanted}`);
        return {
          body: {
            kind: 'compute#guestAttributes',
            queryPath: req.query.get('queryPath'),
            queryValue: {
              items: attrs.map(([k, value]) => ({
                namespace: k.slice(0, k.indexOf('/')),
                key: k.slice(k.indexOf('/') + 1),
                value,
              })),
            },
            selfLink: `${i.selfLink}/guestAttributes`,
          },
        };
      }),
    ],
    // Compute names the IAM verbs as sub-resources (/getIamPolicy), not custom methods (:getIamPolicy).
    [
      'GET',
      new RegExp(`${INSTANCE}\\/getIamPolicy$`),
      instance((_req, _p, _z, _i, key) => ({ body: policyOf(s, key) })),
    ],
    [
      'POST',
      new RegExp(`${INSTANCE}\\/setIamPolicy$`),
      instance((req, _p, _z, _i, key) => {
        const etag = Buffer.from(String(Date.now() + Math.random())).toString('base64');
        s.state.policies[key] = { ...req.body.policy, etag };
        return { body: s.state.policies[key] };
      }),
    ],
    [
      'GET',
      new RegExp(`${PROJECT}\\/zones\\/${NAME}$`),
      (_r, m) => {
        const zone = m[2] as string;
        const region = zone.replace(/-[a-z]$/, '');
        const p = m[1] as string;
        return {
          body: {
            kind: 'compute#zone',
            name: zone,
            status: 'UP',
            region: link(p, `regions/${region}`),
            selfLink: link(p, `zones/${zone}`),
          },
        };
      },
    ],
    [
      'GET',
      new RegExp(`${PROJECT}\\/zones\\/${NAME}\\/disks\\/${NAME}$`),
      (_r, m) => get(m[1] as string, `zones/${m[2]}/disks/${m[3]}`),
    ],

    [
      'GET',
      new RegExp(`${PROJECT}\\/global\\/firewalls$`),
      (_r, _m) =>
        list(
          'firewall',
          [...c.resources].filter(([k]) => k.startsWith('global/firewalls/')).map(([, v]) => v),
        ),
    ],
    [
      'GET',
      new RegExp(`${PROJECT}\\/global\\/firewalls\\/${NAME}$`),
      (_r, m) => get(m[1] as string, `global/firewalls/${m[2]}`),
    ],
    [
      'POST',
      new RegExp(`${PROJECT}\\/global\\/firewalls$`),
      inProject(s, (req, _m, p) =>
        create(
          p.projectId,
          `global/firewalls/${req.body.name}`,
          {
            kind: 'compute#firewall',
            direction: 'INGRESS',
            priority: 1000,
            disabled: false,
            ...req.body,
          },
          'global',
        ),
      ),
    ],
    [
      'PATCH',
      new RegExp(`${PROJECT}\\/global\\/firewalls\\/${NAME}$`),
      (req, m) => {
        const p = m[1] as string;
        const key = `global/firewalls/${m[2]}`;
        const f = c.resources.get(key);
        if (!f) return notFound(p, key);
        Object.assign(f, req.body);
        return done(p, 'global', 'patch', f);
      },
    ],

    [
      'DELETE',
      new RegExp(`${PROJECT}\\/global\\/firewalls\\/${NAME}$`),
      (_req, m) => {
        const p = m[1] as string;
        const key = `global/firewalls/${m[2]}`;
        const f = c.resources.get(key);
        if (!f) return notFound(p, key);
        c.resources.delete(key);
        return done(p, 'global', 'delete', f);
      },
    ],
    [
      'GET',
      new RegExp(`${PROJECT}\\/regions\\/${NAME}\\/addresses\\/${NAME}$`),
      (_r, m) => get(m[1] as string, `regions/${m[2]}/addresses/${m[3]}`),
    ],
    [
      'POST',
      new RegExp(`${PROJECT}\\/regions\\/${NAME}\\/addresses$`),
      inProject(s, (req, m, p) => {
        const region = m[2] as string;
        const n = [...c.resources.keys()].filter((k) => k.includes('/addresses/')).length;
        return create(
          p.projectId,
          `regions/${region}/addresses/${req.body.name}`,
          {
            kind: 'compute#address',
            address: `203.0.113.${10 + n}`,
            addressType: 'EXTERNAL',
            networkTier: 'PREMIUM',
            status: 'RESERVED',
            region: link(p.projectId, `regions/${region}`),
            ...req.body,
          },
          `regions/${region}`,
        );
      }),
    ],

    [
      'GET',
      new RegExp(`${PROJECT}\\/global\\/images\\/${NAME}$`),
      (_r, m) => {
        const found = image(m[1] as string, m[2] as string);
        return found ? { body: found } : notFound(m[1] as string, `global/images/${m[2]}`);
      },
    ],
    [
      'GET',
      new RegExp(`${PROJECT}\\/((?:zones|regions)\\/[^/]+|global)\\/operations\\/${NAME}$`),
      (_r, m) => {
        const op = ops.get(`${m[1]}/${m[2]}/operations/${m[3]}`);
        return op ? { body: op } : notFound(m[1] as string, `${m[2]}/operations/${m[3]}`);
      },
    ],
    [
      'POST',
      new RegExp(`${PROJECT}\\/((?:zones|regions)\\/[^/]+|global)\\/operations\\/${NAME}\\/wait$`),
      (_r, m) => {
        const op = ops.get(`${m[1]}/${m[2]}/operations/${m[3]}`);
        return op ? { body: op } : notFound(m[1] as string, `${m[2]}/operations/${m[3]}`);
      },
    ],
  ];
  return requireEnabled(s, 'compute.googleapis.com', routes);
};
