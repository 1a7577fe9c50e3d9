// Read-only view of the repository under inspection, so that checks never
// depend on the process's cwd and fixtures can be inspected like the project.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';

const SKIP_DIRS = new Set(['.git', 'node_modules', '.tools', 'dist', 'data', 'coverage']);

export class Repo {
  dir: string;
  #walk: string[] | undefined;
  constructor(dir: string) {
    this.dir = dir;
  }

  read(rel: string): string | null {
    const p = join(this.dir, rel);
    try {
      return statSync(p).isFile() ? readFileSync(p, 'utf8') : null;
    } catch {
      return null;
    }
  }

  exists(rel: string): boolean {
    return existsSync(join(this.dir, rel));
  }

  yaml(rel: string): { value: unknown; error?: string } | null {
    const text = this.read(rel);
    if (text === null) return null;
    try {
      return { value: parseYaml(text) };
    } catch (err) {
      return { value: null, error: (err as Error).message.split('\n')[0] ?? 'invalid YAML' };
    }
  }

  /** Every file below the repository, relative, with forward slashes. */
  files(): string[] {
    if (this.#walk) return this.#walk;
    const out: string[] = [];
    const visit = (abs: string) => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = readdirSync(abs, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = join(abs, e.name);
        if (e.isDirectory()) {
          if (!SKIP_DIRS.has(e.name)) visit(p);
        } else if (e.isFile()) {
          out.push(relative(this.dir, p).split(sep).join('/'));
        }
      }
    };
    visit(this.dir);
    this.#walk = out.sort();
    return out;
  }

  /** Files tracked by git below the directory, or null when it is not in a work tree. */
  gitTracked(): string[] | null {
    try {
      const out = execFileSync('git', ['ls-files', '-z', '--', '.'], {
        cwd: this.dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      return out.split('\0').filter(Boolean);
    } catch {
      return null;
    }
  }

  /** Workflow files, deploy scripts and Cloud Build configs. */
  workflowFiles(): string[] {
    return this.files().filter((f) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(f));
  }

  scriptFiles(): string[] {
    return this.files().filter(
      (f) =>
        /^(deploy\/scripts|scripts|bin|\.ci)\//.test(f) && /(\.(sh|bash)|\/run|\/[^./]+)$/.test(f),
    );
  }

  /** Imports a TypeScript module of the repository (Node strips the types). */
  async importModule(rel: string): Promise<Record<string, unknown> | null> {
    const p = join(this.dir, rel);
    if (!existsSync(p)) return null;
    try {
      return (await import(pathToFileURL(p).href)) as Record<string, unknown>;
    } catch {
      return null;
    }
  }
}
