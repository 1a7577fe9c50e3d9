// Live checks of the project: bootstrap's plan over the state doctor read.
// Each write the plan would make is a finding (pitfall 1 for the APIs and the
// registry, 2 for accounts, the secrets, roles and Workload Identity), fixed by
// the write's own gcloud command, or by bootstrap where the write needs what
// only bootstrap has (stdin, or the GitHub repository id).

import { monitoringHeld } from '../bootstrap/monitoring.ts';
import { type Options, plan, planApis } from '../bootstrap/plan.ts';
import { membersOf, rolesOf } from '../gcloud/iam.ts';
import { monitoringRest } from '../gcloud/rest.ts';
import { type Gcloud, GcloudError, shellJoin } from '../gcloud/run.ts';
import { lastSegment, readProject, readState, type State } from '../gcloud/state.ts';
import {
  DEFAULT_SERVICE,
  deriveNames,
  pinnedRepository,
  principalRepository,
  ROLES,
  sa,
} from '../names.ts';
import type { DoctorOptions, Finding } from './types.ts';
import { vmFindings } from './vm.ts';

/** Stands for what only bootstrap knows: a new password, or a repository id nothing names. */
const UNKNOWN = 'BOOTSTRAP_INPUT';

export async function liveFindings(
  g: Gcloud,
  o: DoctorOptions & { project: string },
): Promise<Finding[]> {
  let n = deriveNames(o.project, o.region ?? '', o.service);
  let s: State;
  try {
    s = await readState(g, n, await readProject(g, n), {
      sql: true,
      // Monitoring's files name the region: without --region it is not judged.
      ...(o.region ? { monitoring: monitoringRest(g) } : {}),
    });
  } catch (err) {
    if (!(err instanceof GcloudError)) throw err;
    const fix = err.failure.fix;
    return [
      { id: 'live-checks-failed', pitfall: null, severity: 'warning', message: err.message, fix },
    ];
  }
  // The options the project was bootstrapped with, read from what it holds: the
  // VM path where the VM or its account exists, in the VM's zone.
  const vm = !!(s.vm || s.instance);
  const zone = lastSegment(s.instance?.zone) || undefined;
  const region = o.region ?? zone?.replace(/-[a-z]$/, '');
  n = deriveNames(o.project, region ?? '', o.service, zone);
  const held = (email: string, role: string) =>
    rolesOf(s.policies.project, sa(email)).includes(role);
  const keep = s.repository?.cleanupPolicies?.['keep-recent']?.mostRecentVersions?.keepCount;
  // Monitoring is wanted once any of its policies or its uptime check exists.
  const watched = o.region ? monitoringHeld(s.monitoring, o.project, o.region) : undefined;
  // The repository the provider pins, else the one whose deploy workflow may act as the deployer.
  const bound = membersOf(s.policies.deployer, ROLES.impersonate).flatMap(
    (m) => principalRepository(m, s.projectNumber, n) ?? [],
  );
  const repository =
    pinnedRepository(s.provider?.attributeCondition) ?? (bound.length === 1 ? bound[0] : undefined);
  const repositoryId = repository?.id ?? UNKNOWN;
  const b: Options = {
    project: o.project,
    region: region ?? 'REGION',
    github: o.github ?? repository?.github ?? 'OWNER/REPO',
    service: o.service,
    keep: keep ?? 0,
    public: held(n.deployerSa, ROLES.deployRun({ public: true })),
    withTraces: held(vm ? n.vmSa : n.runtimeSa, ROLES.traces),
    withCloudsql: held(n.runtimeSa, ROLES.cloudsql),
    withMonitoring: !!watched,
    notify: watched?.notify ?? 'EMAIL',
    ...(vm
      ? { vm, zone: n.zone, machineType: lastSegment(s.instance?.machineType) || 'MACHINE_TYPE' }
      : {}),
    dryRun: false,
    json: false,
  };

  const bootstrap = [
    `npm run runway -- bootstrap --project ${b.project} --region ${b.region} --github ${b.github}`,
    ...(o.service === DEFAULT_SERVICE ? [] : [`--service ${o.service}`]),
    ...(keep ? [`--keep ${keep}`] : []),
    ...(b.public ? ['--public'] : []),
    ...(b.withTraces ? ['--with-traces'] : []),
    ...(b.withCloudsql ? ['--with-cloudsql'] : []),
    ...(vm ? [`--target vm --zone ${b.zone} --machine-type ${b.machineType}`] : []),
  ].join(' ');
  const withMonitoring = `${bootstrap} --with-monitoring --notify ${b.notify}`;
  const inputs = { projectNumber: s.projectNumber, repositoryId, password: UNKNOWN };
  const writes = plan(s, b, n, {
    ...inputs,
    databaseUrl: async () => UNKNOWN,
    pepper: () => UNKNOWN,
    channel: async () => UNKNOWN,
  });
  const findings: Finding[] = [...planApis(s.apis, b), ...writes]
    .filter((w) => region || !w.argv?.includes(n.repository))
    .map((w) => ({
      id: `bootstrap-${w.step}`,
      // Monitoring is no deployment pitfall: a deploy works without it.
      pitfall:
        w.step === 'monitoring'
          ? null
          : w.step === 'apis' || w.step === 'registry'
            ? 1
            : w.step === 'vm'
              ? 11
              : 2,
      severity: 'error',
      message: `bootstrap would ${w.change}`,
      fix:
        w.step === 'monitoring' && (w.stdin || w.rest || !watched?.notify)
          ? withMonitoring
          : w.stdin || !w.argv || w.argv.some((a) => a.includes(UNKNOWN))
            ? `${w.step === 'database' && !b.withCloudsql ? 'printf %s "$DATABASE_URL" | ' : ''}${bootstrap}`
            : shellJoin(['gcloud', ...w.argv]),
    }));
  if (o.region && !watched)
    findings.push({
      id: 'monitoring-missing',
      pitfall: null,
      severity: 'warning',
      message:
        "the project holds none of runway's monitoring (deploy/monitoring/): no alert policy or uptime check watches the service",
      fix: withMonitoring,
    });
  return [...findings, ...(await vmFindings(g, s, n))];
}
