// The deploy paths as doctor reads them: every `run:` of every workflow step
// and every line of the deploy scripts as shell commands, the steps that use
// an action, and what each file assigns to its variables.
import type { Repo } from './repo.ts';

const WORKFLOWS = '.github/workflows/*.{yml,yaml}';
/** The repository's own composite actions, whose steps run in the workflows that use them. */
const ACTIONS = '.github/actions/*/action.{yml,yaml}';
const DEPLOY_SCRIPTS = 'deploy/**/*.sh';

/** A gcloud run command, also as the first words of a bash array (args=(run jobs deploy ...)). */
export const GCLOUD_RUN = /(?:\bgcloud\s+|=\(\s*)(?:beta\s+|alpha\s+)?run\s+(\w+)\s+([\w-]+)/;

/** Shell commands: continuations and multi-line array literals joined, comments dropped. */
function logicalLines(script: string): string[] {
  const lines: string[] = [];
  let open = '';
  for (const raw of script.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const text = open ? `${open} ${line}` : line;
    open = /=\([^)]*$/.test(text) ? text : '';
    if (!open) lines.push(text);
  }
  return lines;
}

/** Values of --flag V and --flag=V in a command line (quotes removed). */
export function flagValues(text: string, flag: string): string[] {
  const ws = [...text.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)].map(
    (m) => m[1] ?? m[2] ?? m[3] ?? '',
  );
  return ws.flatMap((w, i) =>
    w === flag ? (ws[i + 1] ?? []) : w.startsWith(`${flag}=`) ? w.slice(flag.length + 1) : [],
  );
}

type Env = { env?: Record<string, unknown> };
type Step = Env & {
  run?: unknown;
  uses?: string;
  with?: Record<string, unknown>;
  if?: string;
  name?: string;
};
type Workflow = Env & {
  jobs?: Record<string, (Env & { steps?: Step[] }) | null>;
  /** A composite action: its steps, as one job's. */
  runs?: Env & { steps?: Step[] };
};

/**
 * Every command line of the workflows' `run:` steps and of the deploy scripts,
 * every step that uses an action, and resolve(file, value): each value that
 * $NAME, ${NAME} or ${{ env.NAME }} (and step or job outputs) can take there.
 */
export function deployPaths(repo: Repo) {
  const commands: Array<{ file: string; text: string }> = [];
  const actions: Array<Step & { file: string; uses: string; with: Record<string, unknown> }> = [];
  const assigned = new Map<string, string[]>();
  const assign = (file: string, name: string, value: unknown) => {
    const key = `${file}\0${name.toLowerCase()}`;
    assigned.set(key, [...(assigned.get(key) ?? []), String(value)]);
  };
  const shell = (file: string, script: string) => {
    for (const text of logicalLines(script)) {
      commands.push({ file, text });
      for (const m of text.matchAll(
        /(?:^|[\s;(])(?:export\s+|local\s+)?([A-Za-z_]\w*)=("[^"]*"|'[^']*'|[^\s;)]+)/g,
      ))
        assign(file, m[1] as string, (m[2] as string).replace(/^["']|["']$/g, ''));
      const out = /echo\s+["']?([\w-]+)=(.*?)["']?\s*>>\s*"?\$\{?GITHUB_(?:OUTPUT|ENV)/.exec(text);
      if (out) assign(file, out[1] as string, out[2]);
    }
  };
  for (const file of [...repo.glob(WORKFLOWS), ...repo.glob(ACTIONS)]) {
    const env = (o: Env | null | undefined) => {
      for (const [k, v] of Object.entries(o?.env ?? {})) assign(file, k, v);
    };
    const doc = repo.yaml(file) as Workflow | null;
    env(doc);
    for (const job of [...Object.values(doc?.jobs ?? {}), doc?.runs]) {
      env(job);
      for (const step of job?.steps ?? []) {
        env(step);
        if (typeof step.run === 'string') shell(file, step.run);
        if (step.uses) actions.push({ ...step, file, uses: step.uses, with: step.with ?? {} });
      }
    }
  }
  for (const file of repo.glob(DEPLOY_SCRIPTS)) shell(file, repo.read(file) ?? '');

  const REF =
    /\$\{\{\s*(?:env|vars|inputs|(?:steps|needs)\.[\w-]+\.outputs)\.([\w-]+)\s*\}\}|\$\{([A-Za-z_]\w*)[^}]*\}|\$([A-Za-z_]\w*)/;
  const resolve = (file: string, value: string, depth = 0): string[] => {
    const ref = REF.exec(value);
    const name = (ref?.[1] ?? ref?.[2] ?? ref?.[3] ?? '').toLowerCase();
    const values = ref && depth < 5 ? assigned.get(`${file}\0${name}`) : undefined;
    if (!ref || !values) return [value];
    return values.flatMap((v) => resolve(file, value.replace(ref[0], v), depth + 1));
  };
  return { commands, actions, resolve };
}
