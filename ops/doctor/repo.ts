// Read-only view of the repository under inspection, so that rules never
// depend on the process's cwd and a fixture is inspected like the project.
import { spawnSync } from 'node:child_process';
import { existsSync, globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';

export class Repo {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  read(rel: string): string | null {
    try {
      return readFileSync(join(this.dir, rel), 'utf8');
    } catch {
      return null;
    }
  }

  /** Parsed YAML, null when the file is absent; throws when it does not parse. */
  yaml(rel: string): unknown {
    const text = this.read(rel);
    if (text === null) return null;
    try {
      return parse(text);
    } catch (err) {
      throw new Error(`${rel} is not valid YAML (${(err as Error).message.split('\n')[0]})`);
    }
  }

  /** Relative paths matching a glob (a leading ** also enters dot-folders), .git and node_modules left out. */
  glob(pattern: string): string[] {
    const patterns = pattern.startsWith('**/') ? [pattern, `**/.*/${pattern}`] : [pattern];
    return globSync(patterns, {
      cwd: this.dir,
      exclude: ['**/node_modules', '**/.git'],
    });
  }

  /** git's stdout in the repository, or null when git fails (not a work tree). */
  git(args: string[], input?: string): string | null {
    const r = spawnSync('git', args, { cwd: this.dir, input, encoding: 'utf8' });
    return r.status === 0 || r.status === 1 ? r.stdout : null;
  }

  /** A TypeScript module of the repository (Node strips the types), or null when absent. */
  async import(rel: string): Promise<Record<string, unknown> | null> {
    const p = join(this.dir, rel);
    return existsSync(p) ? import(pathToFileURL(p).href) : null;
  }
}
