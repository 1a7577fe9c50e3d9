// What a doctor rule reports, and the options of a run.

export interface Finding {
  /** Stable id of the problem, e.g. "port-mismatch". */
  id: string;
  /** The key of the pitfall in PITFALLS (pitfalls.ts); null for notes about the run itself. */
  pitfall: number | null;
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** The exact command or edit that fixes it. */
  fix: string;
  file?: string;
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

/** A finding as a rule reports it; the runner adds the rule's pitfall. */
export type Found = Omit<Finding, 'pitfall'>;
