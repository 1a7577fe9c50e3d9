// Facts about the app, read from its own modules (the single source of truth)
// with a textual fallback when a module cannot be imported.
import type { Repo } from './repo.ts';

export async function appDefaultPort(repo: Repo): Promise<{ port: number | null; how: string }> {
  const mod = await repo.importModule('src/config/env.ts');
  const loadConfig = mod?.loadConfig;
  if (typeof loadConfig === 'function') {
    try {
      const cfg = (loadConfig as (env: Record<string, string>) => { port?: unknown })({});
      if (typeof cfg?.port === 'number')
        return { port: cfg.port, how: 'loadConfig({}).port in src/config/env.ts' };
    } catch {
      // fall through to the text
    }
  }
  const text = repo.read('src/config/env.ts');
  const m = text?.match(/PORT[^\n]{0,120}?\b(\d{2,5})\b/);
  if (m) return { port: Number(m[1]), how: 'PORT default in src/config/env.ts (text)' };
  return { port: null, how: 'src/config/env.ts not found' };
}

export async function appConfigDefaults(repo: Repo): Promise<Record<string, unknown> | null> {
  const mod = await repo.importModule('src/config/env.ts');
  const loadConfig = mod?.loadConfig;
  if (typeof loadConfig !== 'function') return null;
  try {
    return (loadConfig as (env: Record<string, string>) => Record<string, unknown>)({});
  } catch {
    return null;
  }
}

export async function probePaths(repo: Repo): Promise<string[] | null> {
  const mod = await repo.importModule('src/health/paths.ts');
  const paths = mod?.PROBE_PATHS;
  if (paths && typeof paths === 'object') {
    return Object.values(paths as Record<string, unknown>).filter(
      (v): v is string => typeof v === 'string',
    );
  }
  const text = repo.read('src/health/paths.ts');
  if (text === null) return null;
  return [...text.matchAll(/['"](\/[\w/-]*)['"]/g)].map((m) => m[1] as string);
}
