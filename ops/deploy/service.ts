// The Cloud Run service as one deploy declares it: deploy/cloudrun/service.yaml
// with its ${...} fields filled, a traffic block that keeps what serves now
// serving while the new revision is tested, and what the service serves now.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { FailureContext, Gcloud } from '../gcloud/run.ts';
import { deriveNames, ROLES } from '../names.ts';

export const SERVICE_YAML = new URL('../../deploy/cloudrun/service.yaml', import.meta.url);
export const TAG_PREFIX = 'sha-';

/** Where a deploy goes and how it talks to it. */
export type Target = Record<'project' | 'region' | 'service', string> & {
  gcloud: Gcloud;
  log: (line: string) => void;
};

/** One image at one commit, and the identity and secrets its containers run with. */
export type Release = Record<'image' | 'sha' | 'revisionSuffix', string> &
  Record<'runtimeServiceAccount' | 'databaseUrlSecret', string> & {
    cloudsqlInstance: string | undefined;
  };

export type TrafficTarget = { revisionName?: string; percent?: number; tag?: string; url?: string };
type EnvVar = {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: Record<'name' | 'key', string> };
};

/** The parts of a Knative Service (`gcloud run services ... --format=json`) the deploy reads. */
export interface Service {
  spec: {
    template: {
      metadata?: { annotations?: Record<string, string> };
      spec: { serviceAccountName: string; containers: Container[] };
    };
    traffic?: TrafficTarget[];
  };
  status?: { url?: string; traffic?: TrafficTarget[] };
}
type Container = { image: string; env?: EnvVar[]; resources?: { limits?: Record<string, string> } };

export const where = (t: Target) => ['--project', t.project, '--region', t.region];
export const runContext = (t: Target, what: string): FailureContext => ({
  what,
  project: t.project,
  role: ROLES.deployRun({}),
});

export function revisionNames(service: string, r: Release) {
  const short = r.sha.slice(0, 7);
  return { revision: `${service}-${short}-${r.revisionSuffix}`, tag: `${TAG_PREFIX}${short}` };
}

/** service.yaml with every `${NAME}` filled; a field whose whole value is null is left out. */
export function declaration(
  t: Pick<Target, 'project' | 'region' | 'service'>,
  r: Release,
  version: string,
): Service {
  const names = deriveNames(t.project, t.region, t.service);
  const values: Record<string, string | null> = {
    SERVICE: t.service,
    REGION: t.region,
    PROJECT: t.project,
    REVISION: revisionNames(t.service, r).revision,
    SHORT_SHA: r.sha.slice(0, 7),
    IMAGE: r.image,
    RUNTIME_SERVICE_ACCOUNT: r.runtimeServiceAccount,
    DEPLOYER_SERVICE_ACCOUNT: names.deployerSa,
    APP_VERSION: version,
    DATABASE_URL_SECRET: r.databaseUrlSecret,
    API_KEY_PEPPER_SECRET: names.pepper,
    CLOUDSQL_INSTANCE: r.cloudsqlInstance ?? null,
  };
  const fill = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(fill);
    if (node && typeof node === 'object')
      return Object.fromEntries(
        Object.entries(node)
          .map(([k, v]) => [k, fill(v)])
          .filter(([, v]) => v !== null),
      );
    if (typeof node !== 'string') return node;
    const lookup = (name: string) => {
      const value = values[name];
      if (value === undefined)
        throw new Error(
          `${SERVICE_YAML.pathname} uses \${${name}}, which the deploy does not fill`,
        );
      return value;
    };
    const whole = /^\$\{(\w+)\}$/.exec(node)?.[1];
    if (whole !== undefined) return lookup(whole);
    return node.replace(/\$\{(\w+)\}/g, (_, name: string) => lookup(name) ?? '');
  };
  return fill(parse(readFileSync(SERVICE_YAML, 'utf8'))) as Service;
}

/** The first container's environment: the plain values as KEY=VALUE, the secrets as [NAME, ref]. */
export function containerEnv(svc: Service) {
  const env = svc.spec.template.spec.containers[0]?.env ?? [];
  return {
    values: env.flatMap((e) => (e.value === undefined ? [] : [`${e.name}=${e.value}`])),
    secrets: env.flatMap((e) => (e.valueFrom ? [[e.name, e.valueFrom.secretKeyRef] as const] : [])),
  };
}

/**
 * The traffic block of a deploy. Nothing serves yet (a first deploy): the new
 * revision serves once ready. Otherwise every serving revision keeps its share,
 * pinned by name (a `latestRevision` target would follow the new revision the
 * moment it is ready), other tags stay, older test tags go, and the new
 * revision gets 0 % and its tag.
 */
export function planTraffic(now: TrafficTarget[], revision: string, tag: string): TrafficTarget[] {
  const ours = (t: TrafficTarget) => t.tag?.startsWith(TAG_PREFIX) ?? false;
  const kept = now
    .filter((t) => (t.percent ?? 0) > 0 || (t.tag && !ours(t)))
    .map((t) => ({
      revisionName: t.revisionName,
      percent: t.percent ?? 0,
      ...(t.tag && !ours(t) ? { tag: t.tag } : {}),
    }));
  if (!kept.some((t) => t.percent > 0)) return [{ revisionName: revision, percent: 100, tag }];
  return [...kept, { revisionName: revision, percent: 0, tag }];
}

/** The service as it is, or undefined when it does not exist (an empty list says so). */
export async function readService(t: Target): Promise<Service | undefined> {
  const filter = `--filter=metadata.name=${t.service}`;
  const found = await t.gcloud.json<Service[]>(
    ['run', 'services', 'list', filter, '--format=json', ...where(t)],
    runContext(t, `read the Cloud Run service ${t.service}`),
  );
  return found?.[0];
}

/** The revisions that get traffic, as "name=percent%". */
export const serving = (s: Service | undefined) =>
  (s?.status?.traffic ?? [])
    .filter((x) => (x.percent ?? 0) > 0)
    .map((x) => `${x.revisionName}=${x.percent}%`);
