// Human output for people, --json for automation: one JSON document on
// stdout and nothing else there, so `runway doctor --json | jq` always works.

export interface IO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export function processIO(): IO {
  return {
    stdout: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    stderr: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  };
}

export function printJson(io: IO, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

const STATUS_MARK: Record<string, string> = {
  unchanged: '=',
  created: '+',
  updated: '~',
  failed: 'x',
  skipped: '-',
};

export function statusMark(status: string): string {
  return STATUS_MARK[status] ?? '?';
}

/** Replace every secret value by a placeholder before anything is printed. */
export function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.replaceAll(s, '<redacted>');
  return out;
}
