// The shape every bootstrap step has. A step lists every command it may run
// (for --dry-run and for the test that feeds them to the real gcloud parser)
// and applies itself by reading state first, then running only what is
// missing or wrong.
import type { Env, Gcloud } from '../gcloud/run.ts';
import type { Names } from '../names.ts';

export interface BootstrapOptions {
  project: string;
  region: string;
  github: string;
  githubRepoId?: string;
  service: string;
  withCloudsql: boolean;
  setGithub: boolean;
  dryRun: boolean;
  json: boolean;
  /** Grants run.admin instead of run.developer so the deploy can make the service public. */
  public: boolean;
  /** How many most recent images the registry cleanup policy keeps. */
  keep: number;
}

/** Values that exist only at run time; --dry-run shows placeholders. */
export interface PlanInput {
  opts: BootstrapOptions;
  names: Names;
  projectNumber: string;
  policyFile: string;
  /** Shown as a placeholder; never printed. */
  password: string;
}

export interface PlannedCommand {
  argv: string[];
  /** When it runs: "always (read)", "if the repository is missing", ... */
  when: string;
  writes: boolean;
  /** What goes to stdin, described (the value itself may be a secret). */
  stdin?: string;
  /** Argument values that must never be printed. */
  secretArgs?: string[];
}

export interface StepOutcome {
  status: 'created' | 'updated' | 'unchanged';
  changes: string[];
  notes?: string[];
}

export interface StepContext {
  input: PlanInput;
  gcloud: Gcloud;
  env: Env;
  /** Re-run a binding that can race a service account that was just created. */
  retryDelayMs: number;
  /** Extra output of a step (e.g. the GitHub variables). */
  outputs: Record<string, unknown>;
}

export interface Step<K extends string = string> {
  id: string;
  title: string;
  commands(input: PlanInput): Record<K, PlannedCommand>;
  apply(ctx: StepContext): Promise<StepOutcome>;
}

export function read(argv: string[]): PlannedCommand {
  return { argv, when: 'always (reads state)', writes: false };
}

export function write(argv: string[], when: string): PlannedCommand {
  return { argv, when, writes: true };
}

export function unchanged(notes?: string[]): StepOutcome {
  return notes ? { status: 'unchanged', changes: [], notes } : { status: 'unchanged', changes: [] };
}
