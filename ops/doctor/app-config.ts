// Facts of the app under inspection, read from its own modules: the config's
// defaults (loadConfig with an empty environment) and the probe paths.
import type { Repo } from './repo.ts';

export interface AppDefaults {
  port: number;
  dbPoolSize: number;
  dbConnectTimeoutMs: number;
}

export const APP_CONFIG = 'src/config/env.ts';
export const APP_PROBE_PATHS = 'src/health/paths.ts';

export async function appDefaults(repo: Repo): Promise<AppDefaults | null> {
  const loadConfig = (await repo.import(APP_CONFIG))?.loadConfig;
  return typeof loadConfig === 'function' ? loadConfig({}) : null;
}

/** PROBE_PATHS of the app ({ live, ready }), or null when it has none. */
export async function probePaths(repo: Repo): Promise<Record<string, string> | null> {
  const paths = (await repo.import(APP_PROBE_PATHS))?.PROBE_PATHS;
  return paths && typeof paths === 'object' ? (paths as Record<string, string>) : null;
}
