// Human output for people, --json for automation: one JSON document on
// stdout and nothing else there, so `runway doctor --json | jq` always works.
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { text } from 'node:stream/consumers';

export interface IO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export function processIO(): IO {
  const lines = (to: NodeJS.WriteStream) => (t: string) =>
    to.write(t.endsWith('\n') ? t : `${t}\n`);
  return { stdout: lines(process.stdout), stderr: lines(process.stderr) };
}

export function printJson(io: IO, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Replaces every secret value by a placeholder before anything is printed. */
export function redact(line: string, secrets: string[]): string {
  return secrets.reduce((out, s) => (s ? out.replaceAll(s, '<redacted>') : out), line);
}

/** All of stdin; at a terminal, one line typed after a prompt and never echoed. */
export async function readSecret(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) return text(process.stdin);
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  process.stderr.write(prompt);
  const line = await rl.question('');
  rl.close();
  process.stderr.write('\n');
  return line;
}
