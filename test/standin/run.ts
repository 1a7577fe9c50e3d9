// Cloud Run Admin API v1 for the stand-in, as `gcloud run` reads and writes it:
// Knative serving services (a template makes a revision, traffic resolves to
// revisions, tags get URLs, conditions say Ready or why not) and jobs whose
// executions run to completion. What a container does when Cloud Run starts it
// is the test's choice (state.run.start); its lines go to the logging module
// with the labels Cloud Run gives them.
import { randomUUID } from 'node:crypto';
import { writeLog } from './logging.ts';
import { type Api, googleError, notFound, type Reply, type Route, type Standin } from './server.ts';

/** A revision's or an execution's container, as the test's start() sees it. */
export interface Workload {
  kind: 'revision' | 'execution';
  name: string;
  /** The service or the job. */
  owner: string;
  image: string;
  args: string[];
}

/** Whether the container comes up (a revision) or exits 0 (an execution), and what it prints. */
export interface Outcome {
  ok: boolean;
  logs?: string[];
}

// biome-ignore lint/suspicious/noExplicitAny: Knative objects are JSON the routes read freely
type K8s = Record<string, any>;

export interface RunState {
  services: Map<string, K8s>;
  revisions: Map<string, K8s>;
  jobs: Map<string, K8s>;
  executions: Map<string, K8s>;
  start: (w: Workload) => Outcome;
  /** The URL Cloud Run gives a host name: `runway` or `sha-0123456---runway`. */
  url: (host: string) => string;
}

const now = () => new Date().toISOString();
const condition = (type: string, ok: boolean, message?: string) => ({
  type,
  status: ok ? 'True' : 'False',
  lastTransitionTime: now(),
  ...(ok ? {} : { reason: 'HealthCheckContainerError', message }),
});
const rand = (n: number) => randomUUID().replaceAll('-', '').slice(0, n);

const SERVING = '/apis/serving.knative.dev/v1/namespaces/([^/]+)';
const RUN = '/apis/run.googleapis.com/v1/namespaces/([^/]+)';
/** A list, narrowed by a Kubernetes label selector ("key = value", comma-separated). */
const list = (kind: string, items: Iterable<K8s>, selector: string | null) => {
  const wanted = (selector ?? '')
    .split(',')
    .filter(Boolean)
    .map((term) => term.split('=').map((x) => x.trim()));
  const all = [...items].filter((o) =>
    wanted.every(([k, v]) => o.metadata.labels?.[k as string] === v),
  );
  return { body: { apiVersion: 'v1', kind: `${kind}List`, metadata: {}, items: all } };
};

/** Runs a container the way Cloud Run would, writing its lines to the logging module. */
function start(
  s: Standin,
  w: Workload,
  ns: string,
  resource: LogResource,
  labels?: Record<string, string>,
) {
  const run = s.state.run as RunState;
  const outcome = run.start(w);
  const log = (severity: string, text: string, stream: string) =>
    writeLog(s, {
      logName: `projects/${ns}/logs/run.googleapis.com%2F${stream}`,
      resource,
      timestamp: now(),
      severity,
      textPayload: text,
      ...(labels ? { labels } : {}),
    });
  for (const line of outcome.logs ?? []) log('ERROR', line, 'stderr');
  if (!outcome.ok && w.kind === 'revision')
    log(
      'ERROR',
      `Default STARTUP probe failed for container "app". The instance was not started.`,
      'varlog%2Fsystem',
    );
  if (!outcome.ok && w.kind === 'execution')
    log('ERROR', `Container called exit(1).`, 'varlog%2Fsystem');
  return outcome;
}

type LogResource = { type: string; labels: Record<string, string> };

/** The next version of an object that `body` creates or replaces. */
function next(kind: string, apiVersion: string, ns: string, region: string, body: K8s, old?: K8s) {
  const generation = (old?.metadata.generation ?? 0) + 1;
  const metadata = {
    ...body.metadata,
    namespace: ns,
    uid: old?.metadata.uid ?? randomUUID(),
    generation,
    creationTimestamp: old?.metadata.creationTimestamp ?? now(),
    labels: { ...body.metadata?.labels, 'cloud.googleapis.com/location': region },
  };
  return { apiVersion, kind, metadata, spec: body.spec, generation };
}

/** Creates or replaces a service: a new template makes a revision, then traffic resolves. */
export function applyService(s: Standin, ns: string, region: string, body: K8s): Reply {
  const run = s.state.run as RunState;
  const name = body.metadata?.name as string;
  const old = run.services.get(name);
  const { generation, ...object } = next(
    'Service',
    'serving.knative.dev/v1',
    ns,
    region,
    body,
    old,
  );
  const template = body.spec?.template ?? {};
  const given = template.metadata?.name as string | undefined;
  const revisionName = given ?? `${name}-${String(generation).padStart(5, '0')}-${rand(3)}`;
  const previous = run.revisions.get(revisionName);
  if (previous && previous.metadata.labels['serving.knative.dev/service'] !== name)
    return googleError(409, `Revision named '${revisionName}' belongs to another service.`);
  if (!previous || (!given && JSON.stringify(previous.spec) !== JSON.stringify(template.spec))) {
    const container = template.spec?.containers?.[0] ?? {};
    const outcome = start(
      s,
      {
        kind: 'revision',
        name: revisionName,
        owner: name,
        image: container.image,
        args: container.args ?? [],
      },
      ns,
      {
        type: 'cloud_run_revision',
        labels: {
          project_id: ns,
          location: region,
          service_name: name,
          revision_name: revisionName,
          configuration_name: name,
        },
      },
    );
    const message = outcome.ok
      ? undefined
      : `The user-provided container failed the configured startup probe checks. Logs for this revision might contain more information.`;
    run.revisions.set(revisionName, {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Revision',
      metadata: {
        name: revisionName,
        namespace: ns,
        uid: randomUUID(),
        generation: 1,
        creationTimestamp: now(),
        labels: {
          ...template.metadata?.labels,
          'serving.knative.dev/service': name,
          'serving.knative.dev/configuration': name,
          'cloud.googleapis.com/location': region,
        },
        annotations: template.metadata?.annotations ?? {},
      },
      spec: template.spec,
      status: {
        observedGeneration: 1,
        conditions: ['Ready', 'ContainerHealthy', 'ResourcesAvailable'].map((t) =>
          condition(t, outcome.ok, message),
        ),
        imageDigest: container.image,
        logUrl: `https://console.cloud.google.com/logs/viewer?project=${ns}&resource=cloud_run_revision/service_name/${name}/revision_name/${revisionName}`,
      },
    });
  }
  const ready = (r: string | undefined) =>
    r !== undefined && run.revisions.get(r)?.status.conditions[0].status === 'True';
  const createdOk = ready(revisionName);
  const latestReady = createdOk ? revisionName : old?.status.latestReadyRevisionName;
  const targets: K8s[] = body.spec?.traffic ?? [{ latestRevision: true, percent: 100 }];
  const resolved: K8s[] = targets.map((t) => ({
    ...t,
    revisionName: t.revisionName ?? latestReady,
  }));
  const broken = resolved.find((t) => !ready(t.revisionName));
  const host = (tag?: string) => run.url(tag ? `${tag}---${name}` : name);
  const why = (r: string | undefined) =>
    `Revision '${r}' is not ready and cannot serve traffic. ${run.revisions.get(r ?? '')?.status.conditions[0].message ?? ''}`.trim();
  const service: K8s = {
    ...object,
    spec: { ...body.spec, traffic: targets },
    status: {
      observedGeneration: generation,
      latestCreatedRevisionName: revisionName,
      ...(latestReady ? { latestReadyRevisionName: latestReady } : {}),
      url: host(),
      address: { url: host() },
      // A route that names a revision which is not ready keeps serving what it served.
      traffic: broken
        ? (old?.status.traffic ?? [])
        : resolved.map((t) => ({ ...t, ...(t.tag ? { url: host(t.tag) } : {}) })),
      conditions: [
        condition(
          'Ready',
          createdOk && !broken,
          createdOk ? why(broken?.revisionName) : why(revisionName),
        ),
        condition('ConfigurationsReady', createdOk, why(revisionName)),
        condition('RoutesReady', !broken, why(broken?.revisionName)),
      ],
    },
  };
  run.services.set(name, service);
  return { body: service };
}

function applyJob(s: Standin, ns: string, region: string, body: K8s): Reply {
  const run = s.state.run as RunState;
  const old = run.jobs.get(body.metadata?.name);
  const { generation, ...job } = next('Job', 'run.googleapis.com/v1', ns, region, body, old);
  const status = { executionCount: 0, ...old?.status, observedGeneration: generation };
  run.jobs.set(job.metadata.name, {
    ...job,
    status: { ...status, conditions: [condition('Ready', true)] },
  });
  return { body: run.jobs.get(job.metadata.name) };
}

/** Runs a job to completion: the execution is Completed (True or False) when it is returned. */
function execute(s: Standin, ns: string, region: string, job: K8s): Reply {
  const run = s.state.run as RunState;
  const jobName = job.metadata.name as string;
  const name = `${jobName}-${rand(5)}`;
  const container = job.spec.template.spec.template.spec.containers[0];
  const outcome = start(
    s,
    { kind: 'execution', name, owner: jobName, image: container.image, args: container.args ?? [] },
    ns,
    { type: 'cloud_run_job', labels: { project_id: ns, location: region, job_name: jobName } },
    {
      'run.googleapis.com/execution_name': name,
      'run.googleapis.com/task_index': '0',
      'run.googleapis.com/task_attempt': '0',
    },
  );
  const started = now();
  const execution = {
    apiVersion: 'run.googleapis.com/v1',
    kind: 'Execution',
    metadata: {
      name,
      namespace: ns,
      uid: randomUUID(),
      generation: 1,
      creationTimestamp: started,
      labels: { 'run.googleapis.com/job': jobName, 'cloud.googleapis.com/location': region },
    },
    spec: job.spec.template.spec,
    status: {
      observedGeneration: 1,
      startTime: started,
      completionTime: now(),
      ...(outcome.ok ? { succeededCount: 1 } : { failedCount: 1 }),
      logUri: `https://console.cloud.google.com/logs/viewer?project=${ns}&resource=cloud_run_job/job_name/${jobName}`,
      conditions: [
        condition('ResourcesAvailable', true),
        condition('Started', true),
        condition(
          'Completed',
          outcome.ok,
          `Task ${name}-task0 failed with message: The container exited with an error.`,
        ),
      ],
    },
  };
  run.executions.set(name, execution);
  job.status.executionCount += 1;
  job.status.latestCreatedExecution = {
    name,
    creationTimestamp: started,
    completionTimestamp: execution.status.completionTime,
    completionStatus: outcome.ok ? 'EXECUTION_SUCCEEDED' : 'EXECUTION_FAILED',
  };
  return { body: execution };
}

export const cloudRun: Api = (s) => {
  const run: RunState = {
    services: new Map(),
    revisions: new Map(),
    jobs: new Map(),
    executions: new Map(),
    start: () => ({ ok: true }),
    url: (host) => `https://${host}-x7k2m4q9ta-uc.a.run.app`,
  };
  s.state.run = run;
  const region = (r: { region?: string }) => r.region ?? 'us-central1';
  /** List and get of one kind of object, and create and replace where `apply` is given. */
  const collection = (
    base: string,
    kind: string,
    map: Map<string, K8s>,
    apply?: typeof applyJob,
  ) => {
    const all = new RegExp(`^${base}/${kind.toLowerCase()}s$`);
    const one = new RegExp(`^${base}/${kind.toLowerCase()}s/([^/:]+)$`);
    const routes: Route[] = [
      ['GET', all, (r) => list(kind, map.values(), r.query.get('labelSelector'))],
      [
        'GET',
        one,
        (_, m) =>
          map.has(m[2] as string) ? { body: map.get(m[2] as string) } : notFound(`${kind} ${m[2]}`),
      ],
    ];
    if (!apply) return routes;
    return routes.concat([
      [
        'POST',
        all,
        (r, m) =>
          map.has(r.body?.metadata?.name)
            ? googleError(409, `Resource '${r.body.metadata.name}' already exists.`)
            : apply(s, m[1] as string, region(r), r.body),
      ],
      [
        'PUT',
        one,
        (r, m) =>
          map.has(m[2] as string)
            ? apply(s, m[1] as string, region(r), r.body)
            : notFound(`${kind} ${m[2]}`),
      ],
    ]);
  };
  return [
    ...collection(SERVING, 'Service', run.services, applyService),
    ...collection(SERVING, 'Revision', run.revisions),
    ...collection(RUN, 'Job', run.jobs, applyJob),
    ...collection(RUN, 'Execution', run.executions),
    [
      'POST',
      new RegExp(`^${RUN}/jobs/([^/:]+):run$`),
      (r, m) => {
        const job = run.jobs.get(m[2] as string);
        return job ? execute(s, m[1] as string, region(r), job) : notFound(`Job ${m[2]}`);
      },
    ],
  ];
};
