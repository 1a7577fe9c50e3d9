// doctor: the offline rules on the repository, then the live checks on the
// project when gcloud is authenticated. Exit 0 with no errors, 1 with any.
import { createGcloud, type Env } from '../gcloud/run.ts';
import { EXIT, type IO, printJson } from '../output.ts';
import { liveFindings } from './live.ts';
import type { Pitfall } from './pitfalls.ts';
import { Repo } from './repo.ts';
import { buildkit } from './rules/buildkit.ts';
import { connections } from './rules/connections.ts';
import { credentials } from './rules/credentials.ts';
import { images } from './rules/images.ts';
import { port } from './rules/port.ts';
import { probePathsExist, probes } from './rules/probes.ts';
import { waits } from './rules/waits.ts';
import type { DoctorOptions, Finding, Found } from './types.ts';

/** The rule of each pitfall checked on the repository (1, 2 and 11 are live). */
const RULES: Record<Exclude<Pitfall, 1 | 2 | 11>, (repo: Repo) => Found[] | Promise<Found[]>> = {
  3: buildkit,
  4: port,
  5: images,
  6: waits,
  7: probes,
  8: probePathsExist,
  9: credentials,
  10: connections,
};
export type OfflinePitfall = keyof typeof RULES;

/** The findings of the offline rules (all, or those of the pitfalls named) on a repository. */
export async function offlineFindings(dir: string, only?: OfflinePitfall[]): Promise<Finding[]> {
  const repo = new Repo(dir);
  const pitfalls = only ?? (Object.keys(RULES).map(Number) as OfflinePitfall[]);
  const found = pitfalls.map(async (pitfall): Promise<Finding[]> => {
    try {
      return (await RULES[pitfall](repo)).map((f) => ({ pitfall, ...f }));
    } catch (err) {
      // A file the rule reads does not parse (the message names it), or the rule has a bug.
      const message = `Pitfall ${pitfall} could not be checked: ${(err as Error).message}`;
      const fix = 'Fix the file the message names, then run doctor again';
      return [{ id: 'pitfall-unchecked', pitfall, severity: 'error', message, fix }];
    }
  });
  return (await Promise.all(found)).flat();
}

/** The live findings, or why the live checks did not run. */
async function live(o: DoctorOptions, env: Env): Promise<Finding[] | string> {
  if (o.offline) return '--offline';
  if (!o.project) return 'no --project given';
  const g = createGcloud({ env });
  // Fails fast without credentials, and needs no network when a token is
  // cached or given through CLOUDSDK_AUTH_ACCESS_TOKEN.
  const auth = await g.run(['auth', 'print-access-token', '--quiet'], { timeoutMs: 20_000 });
  if (auth.code === 127) return 'gcloud is not installed';
  if (auth.code !== 0) return 'gcloud is not authenticated (gcloud auth login)';
  return liveFindings(g, { ...o, project: o.project });
}

export async function runDoctor(o: DoctorOptions, io: IO & { env: Env }): Promise<number> {
  const findings = await offlineFindings(o.repoDir);
  const liveFound = await live(o, io.env);
  const ran = typeof liveFound !== 'string';
  if (ran) findings.push(...liveFound);
  else {
    const message = `Live checks of pitfalls 1, 2 and 11 skipped: ${liveFound}`;
    const fix =
      'gcloud auth login && npm run runway -- doctor --project PROJECT --region REGION --github OWNER/REPO';
    findings.push({ id: 'live-checks-skipped', pitfall: null, severity: 'info', message, fix });
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  const reason = ran ? `project ${o.project}` : liveFound;
  const report = { repo: o.repoDir, errors, warnings, live: { ran, reason }, findings };
  if (o.json) printJson(io, { command: 'doctor', ok: errors === 0, ...report });
  else {
    const order = { error: 0, warning: 1, info: 2 };
    for (const f of findings.toSorted((a, b) => order[a.severity] - order[b.severity]))
      io.stdout(
        `${f.severity.toUpperCase().padEnd(7)} [pitfall ${f.pitfall ?? '-'}] ${f.id}: ${f.message}\n        fix: ${f.fix}`,
      );
    io.stdout(`\ndoctor: ${errors} error(s), ${warnings} warning(s)`);
  }
  return errors === 0 ? EXIT.ok : EXIT.failure;
}
