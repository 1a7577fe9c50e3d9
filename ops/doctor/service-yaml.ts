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
  env?: Array<{ name: string; value?: unknown }>;
  startupProbe?: Probe;
  livenessProbe?: Probe;
}

export interface Service extends Container {
  annotations: Record<string, string | undefined>;
  /** The env entries by name; valueFrom entries map to undefined. */
  envValues: Map<string, string | undefined>;
}

/** The service's first container and its template's annotations; null when there is no file. */
export function service(repo: Repo): Service | null {
  type Doc = {
    spec?: {
      template?: {
        metadata?: { annotations?: Record<string, string> };
        spec?: { containers?: Container[] };
      };
    };
  };
  const doc = repo.yaml(SERVICE_YAML) as Doc | null;
  if (doc === null) return null;
  const container = doc.spec?.template?.spec?.containers?.[0];
  if (!container) throw new Error(`${SERVICE_YAML} has no spec.template.spec.containers[0]`);
  return {
    ...container,
    annotations: doc.spec?.template?.metadata?.annotations ?? {},
    envValues: new Map(
      (container.env ?? []).map((e) => [
        e.name,
        e.value === undefined ? undefined : String(e.value),
      ]),
    ),
  };
}
