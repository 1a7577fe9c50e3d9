// The deploy paths, as logical shell commands: every `run:` of every workflow
// step, every line of the deploy scripts (backslash continuations joined), and
// the inputs of deploy actions. Several checks read the same commands.
import type { Repo } from './repo.ts';

export interface Command {
  file: string;
  text: string;
  /** For workflow steps: the step's name or uses, to point at it. */
  where?: string;
}

export interface ActionStep {
  file: string;
  uses: string;
  with: Record<string, unknown>;
  if?: string;
  name?: string;
}

export interface Sources {
  commands: Command[];
  actions: ActionStep[];
  /** NAME -> values assigned anywhere in the same file (shell, env:, $GITHUB_OUTPUT). */
  assignments: Map<string, Map<string, string[]>>;
  usesCloudBuild: boolean;
  cloudBuildConfigs: string[];
  /** Workflows that do not parse: nothing in them can be checked. */
  parseErrors: Array<{ file: string; error: string }>;
}

export function logicalLines(script: string): string[] {
  const joined = script.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

function addAssignment(
  map: Map<string, Map<string, string[]>>,
  file: string,
  name: string,
  value: string,
) {
  let m = map.get(file);
  if (!m) {
    m = new Map();
    map.set(file, m);
  }
  const key = name.toLowerCase();
  m.set(key, [...(m.get(key) ?? []), value]);
}

function collectShellAssignments(map: Sources['assignments'], file: string, lines: string[]) {
  for (const line of lines) {
    for (const m of line.matchAll(
      /(?:^|[\s;])(?:export\s+|local\s+|readonly\s+)?([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S+)/g,
    )) {
      addAssignment(map, file, m[1] as string, (m[2] as string).replace(/^["']|["']$/g, ''));
    }
    // echo "image=..." >> "$GITHUB_OUTPUT" makes steps.X.outputs.image
    const out = line.match(
      /echo\s+["']?([A-Za-z_][\w-]*)=(.*?)["']?\s*>>\s*"?\$\{?GITHUB_(?:OUTPUT|ENV)/,
    );
    if (out) addAssignment(map, file, out[1] as string, out[2] as string);
  }
}

function envEntries(env: unknown): Array<[string, string]> {
  if (!env || typeof env !== 'object') return [];
  return Object.entries(env as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
}

export function collectSources(repo: Repo): Sources {
  const sources: Sources = {
    commands: [],
    actions: [],
    assignments: new Map(),
    usesCloudBuild: false,
    cloudBuildConfigs: repo.files().filter((f) => /(^|\/)cloudbuild\.ya?ml$/.test(f)),
    parseErrors: [],
  };
  for (const file of repo.workflowFiles()) {
    const parsed = repo.yaml(file);
    if (parsed?.error) sources.parseErrors.push({ file, error: parsed.error });
    const doc = parsed?.value as Record<string, unknown> | null;
    if (!doc || typeof doc !== 'object') continue;
    for (const [k, v] of envEntries(doc.env)) addAssignment(sources.assignments, file, k, v);
    const jobs = (doc.jobs ?? {}) as Record<string, Record<string, unknown>>;
    for (const job of Object.values(jobs)) {
      if (!job || typeof job !== 'object') continue;
      for (const [k, v] of envEntries(job.env)) addAssignment(sources.assignments, file, k, v);
      const steps = Array.isArray(job.steps) ? (job.steps as Array<Record<string, unknown>>) : [];
      for (const step of steps) {
        if (!step || typeof step !== 'object') continue;
        for (const [k, v] of envEntries(step.env)) addAssignment(sources.assignments, file, k, v);
        const where = String(step.name ?? step.uses ?? step.id ?? 'step');
        if (typeof step.run === 'string') {
          const lines = logicalLines(step.run);
          collectShellAssignments(sources.assignments, file, lines);
          for (const text of lines) sources.commands.push({ file, text, where });
        }
        if (typeof step.uses === 'string') {
          const action: ActionStep = {
            file,
            uses: step.uses,
            with: (step.with ?? {}) as Record<string, unknown>,
          };
          if (typeof step.if === 'string' || typeof step.if === 'boolean')
            action.if = String(step.if);
          if (typeof step.name === 'string') action.name = step.name;
          sources.actions.push(action);
        }
      }
    }
  }
  for (const file of repo.scriptFiles()) {
    const text = repo.read(file);
    if (text === null || text.includes('\0')) continue;
    const lines = logicalLines(text);
    collectShellAssignments(sources.assignments, file, lines);
    for (const line of lines) sources.commands.push({ file, text: line });
  }
  sources.usesCloudBuild =
    sources.cloudBuildConfigs.length > 0 ||
    sources.commands.some((c) => /\bgcloud\s+(?:beta\s+)?builds\s+submit\b/.test(c.text)) ||
    sources.actions.some((a) => /cloud-?build/i.test(a.uses));
  return sources;
}

/** Splits a command line into words, honouring simple quotes. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) {
    out.push(m[1] ?? m[2] ?? m[3] ?? '');
  }
  return out;
}

/** Value of --flag=V or --flag V in a word list. */
export function flagValues(ws: string[], flag: string): string[] {
  const out: string[] = [];
  ws.forEach((w, i) => {
    if (w === flag && ws[i + 1] !== undefined) out.push(ws[i + 1] as string);
    else if (w.startsWith(`${flag}=`)) out.push(w.slice(flag.length + 1));
  });
  return out;
}

export const DEPLOY_COMMAND =
  /\bgcloud\s+(?:beta\s+|alpha\s+)?run\s+(?:deploy|services\s+(?:update|replace)|jobs\s+(?:deploy|create|update|replace))\b/;

/**
 * Resolves $NAME, ${NAME}, ${{ env.NAME }}, ${{ steps.x.outputs.NAME }},
 * ${{ vars.NAME }} one level at a time through the file's assignments.
 * Returns every candidate value (several when assigned more than once).
 */
export function resolveValue(sources: Sources, file: string, value: string, depth = 0): string[] {
  const ref = value.match(
    /\$\{\{\s*(?:env|steps\.[\w-]+\.outputs|needs\.[\w-]+\.outputs|inputs|vars)\.([\w-]+)\s*\}\}|\$\{([A-Za-z_]\w*)[^}]*\}|\$([A-Za-z_]\w*)/,
  );
  if (!ref || depth > 4) return [value];
  const name = (ref[1] ?? ref[2] ?? ref[3] ?? '').toLowerCase();
  const candidates = sources.assignments.get(file)?.get(name);
  if (!candidates?.length) return [value];
  return candidates.flatMap((c) =>
    resolveValue(sources, file, value.replace(ref[0], c), depth + 1),
  );
}
