// deploy/cloudrun/service.yaml (Knative serving v1): the parts doctor reads.
import type { Repo } from './repo.ts';

export const SERVICE_YAML = 'deploy/cloudrun/service.yaml';

export interface Probe {
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
  httpGet?: { path?: string; port?: number };
  tcpSocket?: { port?: number };
}

interface Container {
  image?: string;
  ports?: Array<{ containerPort?: number }>;
  env?: Array<{ name: string; value?: string | number }>;
  startupProbe?: Probe;
  livenessProbe?: Probe;
}

/** The first container, its env values by name (valueFrom: undefined) and the template's annotations. */
export function service(repo: Repo) {
  type Template = {
    metadata?: { annotations?: Record<string, string> };
    spec?: { containers?: Container[] };
  };
  const doc = repo.yaml(SERVICE_YAML) as { spec?: { template?: Template } } | null;
  if (doc === null) return null;
  const template = doc.spec?.template;
  const container = template?.spec?.containers?.[0];
  if (!container) throw new Error(`${SERVICE_YAML} has no spec.template.spec.containers[0]`);
  const env = (container.env ?? []).map(({ name, value }) => [name, value?.toString()] as const);
  return {
    ...container,
    annotations: template?.metadata?.annotations ?? {},
    envValues: new Map(env),
  };
}
