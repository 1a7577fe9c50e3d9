// A fake command (gcloud, docker) for the deploy scripts' tests: a temporary
// bin/ directory with an executable that records its argv as JSON lines and
// answers from canned rules. Nothing in the test process's own environment
// changes: the tests pass `env` to the child processes.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Reply {
  stdout?: string;
  stderr?: string;
  exit?: number;
}

/** The first rule whose regular expression matches the space-joined argv answers; its n-th use takes replies[n] (the last one repeats). */
export interface Rule {
  match: string;
  replies: Reply[];
}

const RECORDER = `
const fs = require('node:fs');
const path = require('node:path');
const dir = process.env.FAKE_CLI_DIR;
const name = path.basename(process.argv[1]);
const argv = process.argv.slice(2);
fs.appendFileSync(path.join(dir, 'calls.jsonl'), JSON.stringify({ name, argv }) + '\\n');
const rules = JSON.parse(fs.readFileSync(path.join(dir, name + '.rules.json'), 'utf8'));
const countsFile = path.join(dir, name + '.counts.json');
const counts = fs.existsSync(countsFile) ? JSON.parse(fs.readFileSync(countsFile, 'utf8')) : {};
const line = argv.join(' ');
const i = rules.findIndex((r) => new RegExp(r.match).test(line));
if (i < 0) {
  process.stderr.write('fake ' + name + ': no rule for: ' + line + '\\n');
  process.exit(97);
}
const n = counts[i] || 0;
counts[i] = n + 1;
fs.writeFileSync(countsFile, JSON.stringify(counts));
const replies = rules[i].replies;
const r = replies[Math.min(n, replies.length - 1)];
if (r.stdout) process.stdout.write(r.stdout);
if (r.stderr) process.stderr.write(r.stderr);
process.exit(r.exit || 0);
`;

export interface Call {
  name: string;
  argv: string[];
}

export class FakeClis {
  readonly dir: string;
  readonly bin: string;

  constructor(rules: Record<string, Rule[]>) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'runway-fake-cli-'));
    this.bin = path.join(this.dir, 'bin');
    mkdirSync(this.bin, { recursive: true });
    writeFileSync(path.join(this.dir, 'recorder.cjs'), RECORDER);
    writeFileSync(path.join(this.dir, 'calls.jsonl'), '');
    for (const [name, r] of Object.entries(rules)) {
      writeFileSync(path.join(this.dir, `${name}.rules.json`), JSON.stringify(r));
      const exe = path.join(this.bin, name);
      // The recorder reads its name from argv[1].
      writeFileSync(
        exe,
        `#!/bin/sh\nexec "${process.execPath}" -e 'process.argv.splice(1, 1, ${JSON.stringify(name)}); require(${JSON.stringify(path.join(this.dir, 'recorder.cjs'))})' x "$@"\n`,
      );
      chmodSync(exe, 0o755);
    }
  }

  /** An environment for a child: the fakes first on PATH, node next, then the system. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: `${this.bin}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: this.dir,
      FAKE_CLI_DIR: this.dir,
      NODE: process.execPath,
      ...extra,
    };
  }

  calls(name?: string): Call[] {
    return readFileSync(path.join(this.dir, 'calls.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Call)
      .filter((c) => !name || c.name === name);
  }
}
