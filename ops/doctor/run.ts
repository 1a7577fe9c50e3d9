// doctor: offline checks on the repository, then live checks on the project
// when gcloud is authenticated. Exit 0 with no errors, 1 with any.
import { createGcloud, type Env } from '../gcloud/run.ts';
import { EXIT, type IO, printJson } from '../output.ts';
import { buildLogsCheck } from './checks/build-logs.ts';
import { buildkitCheck } from './checks/buildkit.ts';
import { mutableTagCheck } from './checks/mutable-tag.ts';
import { portCheck } from './checks/port.ts';
import { probesCheck } from './checks/probes.ts';
import { secretsCheck } from './checks/secrets.ts';
import { liveFindings } from './live.ts';
import { Repo } from './repo.ts';
import type { Check, DoctorOptions, Finding } from './types.ts';

export const OFFLINE_CHECKS: Check[] = [
  buildkitCheck,
  portCheck,
  mutableTagCheck,
  buildLogsCheck,
  probesCheck,
  secretsCheck,
];

export interface DoctorReport {
  ok: boolean;
  repo: string;
  errors: number;
  warnings: number;
  checks: Array<{ id: string; pitfall: number | null; title: string; findings: number }>;
  live: { ran: boolean; reason: string };
  findings: Finding[];
}

export async function doctorReport(o: DoctorOptions, env: Env): Promise<DoctorReport> {
  const repo = new Repo(o.repoDir);
  const findings: Finding[] = [];
  const checks: DoctorReport['checks'] = [];
  for (const check of OFFLINE_CHECKS) {
    let got: Finding[];
    try {
      got = await check.run(repo);
    } catch (err) {
      got = [
        {
          id: `${check.id}-crashed`,
          pitfall: check.pitfall,
          severity: 'error',
          message: `The ${check.id} check could not run: ${(err as Error).message}`,
          fix: 'Report this with the output of: npm run runway -- doctor --json',
        },
      ];
    }
    checks.push({ id: check.id, pitfall: check.pitfall, title: check.title, findings: got.length });
    findings.push(...got.map((f) => ({ ...f, check: check.id })));
  }

  let live = { ran: false, reason: '' };
  if (o.offline) live.reason = '--offline';
  else if (!o.project) live.reason = 'no --project given';
  else {
    const g = createGcloud({ env });
    // Fails fast without credentials, and needs no network when a token is
    // cached or given through CLOUDSDK_AUTH_ACCESS_TOKEN.
    const auth = await g.run(['auth', 'print-access-token', '--quiet'], { timeoutMs: 20_000 });
    if (auth.code === 127) live.reason = 'gcloud is not installed';
    else if (auth.code !== 0) live.reason = 'gcloud is not authenticated (gcloud auth login)';
    else {
      live = { ran: true, reason: `project ${o.project}` };
      findings.push(
        ...(await liveFindings(g, { ...o, project: o.project })).map((f) => ({
          ...f,
          check: 'live',
        })),
      );
    }
  }
  if (!live.ran) {
    findings.push({
      check: 'live',
      id: 'live-checks-skipped',
      pitfall: null,
      severity: 'info',
      message: `Live checks of pitfalls 1 and 2 skipped: ${live.reason}`,
      fix: 'gcloud auth login && npm run runway -- doctor --project PROJECT --region REGION --github OWNER/REPO',
    });
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  return { ok: errors === 0, repo: o.repoDir, errors, warnings, checks, live, findings };
}

export async function runDoctor(o: DoctorOptions, io: IO & { env: Env }): Promise<number> {
  const report = await doctorReport(o, io.env);
  if (o.json) {
    printJson(io, { command: 'doctor', ...report });
  } else {
    const order = { error: 0, warning: 1, info: 2 } as const;
    for (const f of [...report.findings].sort((a, b) => order[a.severity] - order[b.severity])) {
      const tag = f.pitfall ? `pitfall ${f.pitfall}` : (f.check ?? 'doctor');
      io.stdout(`${f.severity.toUpperCase().padEnd(7)} [${tag}] ${f.id}: ${f.message}`);
      io.stdout(`        fix: ${f.fix}`);
    }
    io.stdout(
      `\ndoctor: ${report.errors} error(s), ${report.warnings} warning(s); ${report.checks.length} offline checks${report.live.ran ? ' + live checks' : ''}.`,
    );
  }
  return report.ok ? EXIT.ok : EXIT.failure;
}
