// The container of deploy/cloudrun/service.yaml (Knative serving v1).
import type { Repo } from './repo.ts';

export const SERVICE_YAML = 'deploy/cloudrun/service.yaml';

export interface Probe {
  initialDelaySeconds?: number;
  periodSeconds?: number;
  failureThreshold?: number;
  timeoutSeconds?: number;
  httpGet?: { path?: string; port?: number };
  tcpSocket?: { port?: number };
  grpc?: unknown;
}

export interface Container {
  image?: string;
  ports?: Array<{ containerPort?: number; name?: string }>;
  env?: Array<{ name?: string; value?: unknown }>;
  startupProbe?: Probe;
  livenessProbe?: Probe;
}

export function serviceContainer(
  repo: Repo,
): { container: Container | null; error?: string } | null {
  const parsed = repo.yaml(SERVICE_YAML);
  if (!parsed) return null;
  if (parsed.error) return { container: null, error: parsed.error };
  const doc = parsed.value as {
    spec?: { template?: { spec?: { containers?: Container[] } } };
  } | null;
  const containers = doc?.spec?.template?.spec?.containers ?? [];
  return { container: containers[0] ?? null };
}
