// What a doctor check sees and what it reports.

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  /** Stable id of the problem, e.g. "port-mismatch". */
  id: string;
  /** The pitfall it prevents (1-6), or null for probes and secrets hygiene. */
  pitfall: number | null;
  severity: Severity;
  message: string;
  /** The exact command or edit that fixes it. */
  fix: string;
  file?: string;
  /** The check that found it (set by the runner). */
  check?: string;
}

export interface DoctorOptions {
  repoDir: string;
  project?: string;
  region?: string;
  github?: string;
  service: string;
  offline: boolean;
  json: boolean;
}

export interface Check {
  id: string;
  pitfall: number | null;
  title: string;
  run(repo: import('./repo.ts').Repo): Finding[] | Promise<Finding[]>;
}
