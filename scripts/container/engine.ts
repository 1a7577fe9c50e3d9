// Which container CLI to drive: a Docker engine when one answers, otherwise
// the podman front end in ../shared/tools (machines without Docker). Both take
// docker's command-line syntax.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { run, runOk } from './exec.ts';

export interface Engine {
  /** The command to run, e.g. `docker` or `/abs/shared/tools/container.sh`. */
  cli: string;
  name: 'docker' | 'container.sh';
  toolsDir: string | undefined;
}

export async function dockerAnswers(): Promise<boolean> {
  try {
    const r = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 5000 });
    return r.code === 0 && r.stdout.trim() !== '';
  } catch {
    return false; // no docker binary
  }
}

/**
 * CONTAINER_CLI=docker|PATH forces a CLI; otherwise docker if its engine
 * answers, else <repo>/../shared/tools/container.sh.
 */
export async function pickEngine(repoRoot: string, forced: string | undefined): Promise<Engine> {
  const toolsDir = path.resolve(repoRoot, '..', 'shared', 'tools');
  const shim = path.join(toolsDir, 'container.sh');
  if (forced) {
    const isShim = path.basename(forced) === 'container.sh';
    return {
      cli: forced,
      name: isShim ? 'container.sh' : 'docker',
      toolsDir: isShim ? path.dirname(path.resolve(forced)) : undefined,
    };
  }
  if (await dockerAnswers()) return { cli: 'docker', name: 'docker', toolsDir: undefined };
  if (existsSync(shim)) return { cli: shim, name: 'container.sh', toolsDir };
  throw new Error(
    `no container engine: docker does not answer and ${shim} does not exist. ` +
      'Start Docker, or set CONTAINER_CLI to a docker-compatible CLI.',
  );
}

export async function imageExists(engine: Engine, image: string): Promise<boolean> {
  const r = await run(engine.cli, ['image', 'inspect', '--format', '{{.Id}}', image], {
    timeoutMs: 60_000,
  });
  return r.code === 0;
}

/**
 * With the podman stand-in there is no registry: FROM images must be local.
 * base-images.sh builds them (a no-op when they exist).
 */
export async function ensureBaseImages(engine: Engine, images: string[]): Promise<void> {
  if (engine.name !== 'container.sh' || !engine.toolsDir) return;
  const missing: string[] = [];
  for (const img of images) if (!(await imageExists(engine, img))) missing.push(img);
  if (missing.length === 0) return;
  const script = path.join(engine.toolsDir, 'base-images.sh');
  console.log(`base images missing (${missing.join(', ')}): running ${script}`);
  await runOk(script, [], { inherit: true, timeoutMs: 15 * 60_000 });
}
