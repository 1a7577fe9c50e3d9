// Renders deploy/cloudrun/service.yaml for one deploy.
//
//   node deploy/scripts/render-service.ts --project P --region R --service S \
//     --image REGION-docker.pkg.dev/P/REPO/S@sha256:... --sha GIT_SHA \
//     --runtime-service-account runway-runtime@P.iam.gserviceaccount.com \
//     --database-url-secret runway-database-url [--cloudsql-instance P:R:I] \
//     [--env KEY=VALUE]... [--secret KEY=SECRET[:VERSION]]... \
//     [--current current-service.json] [--app-version 1.2.3] [--revision-suffix X] \
//     [--template deploy/cloudrun/service.yaml] [--out rendered.yaml]
//
// --current is `gcloud run services describe --format=json` (absent on a first
// deploy): the revisions serving now keep their traffic, the new one gets 0 %
// and the tag sha-<short>. Prints the file (or writes --out) and, on stderr,
// the revision name and tag. Exit codes: 0 ok, 2 bad input.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import { planTraffic, type ServiceState } from './traffic-plan.ts';

export interface RenderOptions {
  project: string;
  region: string;
  service: string;
  image: string;
  sha: string;
  runtimeServiceAccount: string;
  databaseUrlSecret: string;
  cloudsqlInstance?: string | undefined;
  appVersion?: string | undefined;
  env?: string[];
  secrets?: string[];
  current?: ServiceState | undefined;
  /** Makes the revision name unique when the same commit is deployed again. */
  revisionSuffix?: string | undefined;
}

export class RenderError extends Error {
  override name = 'RenderError';
}

const RESERVED_ENV = new Set(['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION']);
const DIGEST_IMAGE = /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$/;

export function revisionNames(
  service: string,
  sha: string,
  suffix: string,
): { revision: string; tag: string } {
  const short = sha.slice(0, 7).toLowerCase();
  const revision = `${service}-${short}-${suffix}`.toLowerCase();
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(revision) || revision.length > 63) {
    throw new RenderError(
      `revision name "${revision}" is not valid for Cloud Run (lowercase letters, digits and -, at most 63 characters): ` +
        'use a shorter --service or --revision-suffix',
    );
  }
  return { revision, tag: `sha-${short}` };
}

function need(name: string, value: string | undefined, example: string): string {
  if (!value) throw new RenderError(`--${name} is required (example: --${name} ${example})`);
  return value;
}

export function renderService(
  template: string,
  o: RenderOptions,
): { yaml: string; revision: string; tag: string } {
  need('project', o.project, 'my-project');
  need('region', o.region, 'europe-west1');
  need('service', o.service, 'runway');
  need(
    'runtime-service-account',
    o.runtimeServiceAccount,
    'runway-runtime@my-project.iam.gserviceaccount.com',
  );
  need('database-url-secret', o.databaseUrlSecret, 'runway-database-url');
  if (!/^[0-9a-f]{7,40}$/.test(o.sha))
    throw new RenderError(`--sha must be the git commit SHA (hex), got "${o.sha}"`);
  if (!DIGEST_IMAGE.test(o.image)) {
    throw new RenderError(
      `--image must name the pushed image by digest (REGION-docker.pkg.dev/PROJECT/REPO/NAME@sha256:...), got "${o.image}": ` +
        'a tag such as :latest can move, a digest cannot',
    );
  }
  const suffix = o.revisionSuffix ?? Math.floor(Date.now() / 1000).toString(36);
  const { revision, tag } = revisionNames(o.service, o.sha, suffix);
  const values: Record<string, string> = {
    SERVICE: o.service,
    REGION: o.region,
    PROJECT: o.project,
    REVISION: revision,
    SHORT_SHA: o.sha.slice(0, 7),
    IMAGE: o.image,
    RUNTIME_SERVICE_ACCOUNT: o.runtimeServiceAccount,
    APP_VERSION: o.appVersion ?? '0.0.0',
    DATABASE_URL_SECRET: o.databaseUrlSecret,
    CLOUDSQL_INSTANCE: o.cloudsqlInstance ?? '',
  };
  // Placeholders stand for whole scalars: JSON quoting keeps "1.10" a string.
  const text = template.replace(/\$\{([A-Z_]+)\}/g, (m, key: string) => {
    const v = values[key];
    if (v === undefined)
      throw new RenderError(`the template uses ${m}, which the renderer does not know`);
    return JSON.stringify(v);
  });
  const doc = parseDocument(text);
  if (doc.errors.length)
    throw new RenderError(`template is not valid YAML: ${doc.errors[0]?.message}`);

  const annotations = ['spec', 'template', 'metadata', 'annotations'];
  if (!o.cloudsqlInstance) doc.deleteIn([...annotations, 'run.googleapis.com/cloudsql-instances']);
  else if (!/^[a-z0-9-]+:[a-z0-9-]+:[a-z0-9-]+$/.test(o.cloudsqlInstance)) {
    throw new RenderError(
      `--cloudsql-instance must be PROJECT:REGION:INSTANCE, got "${o.cloudsqlInstance}"`,
    );
  }

  const envPath = ['spec', 'template', 'spec', 'containers', 0, 'env'];
  const env = doc.getIn(envPath) as YAMLSeq;
  const setEnv = (name: string, entry: Record<string, unknown>) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new RenderError(`"${name}" is not a valid environment variable name`);
    if (RESERVED_ENV.has(name))
      throw new RenderError(`${name} is set by Cloud Run itself and cannot be configured`);
    const i = env.items.findIndex((it) => (it as YAMLMap).get('name') === name);
    const node = doc.createNode({ name, ...entry });
    if (i >= 0) env.items[i] = node;
    else env.items.push(node);
  };
  for (const kv of o.env ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new RenderError(`--env takes KEY=VALUE, got "${kv}"`);
    setEnv(kv.slice(0, i), { value: kv.slice(i + 1) });
  }
  for (const kv of o.secrets ?? []) {
    const m = /^([^=]+)=([A-Za-z0-9_-]+)(?::(latest|\d+))?$/.exec(kv);
    if (!m) throw new RenderError(`--secret takes KEY=SECRET_NAME[:VERSION], got "${kv}"`);
    setEnv(m[1] as string, { valueFrom: { secretKeyRef: { name: m[2], key: m[3] ?? 'latest' } } });
  }

  doc.setIn(['spec', 'traffic'], doc.createNode(planTraffic(o.current, revision, tag)));
  return { yaml: doc.toString({ lineWidth: 0 }), revision, tag };
}

function main(): number {
  const here = path.dirname(fileURLToPath(import.meta.url));
  let v: ReturnType<typeof parse>['values'];
  function parse() {
    return parseArgs({
      options: {
        project: { type: 'string' },
        region: { type: 'string' },
        service: { type: 'string' },
        image: { type: 'string' },
        sha: { type: 'string' },
        'runtime-service-account': { type: 'string' },
        'database-url-secret': { type: 'string' },
        'cloudsql-instance': { type: 'string' },
        'app-version': { type: 'string' },
        env: { type: 'string', multiple: true },
        secret: { type: 'string', multiple: true },
        current: { type: 'string' },
        'revision-suffix': { type: 'string' },
        template: { type: 'string', default: path.join(here, '..', 'cloudrun', 'service.yaml') },
        out: { type: 'string' },
      },
    });
  }
  try {
    v = parse().values;
    const current = v.current
      ? (JSON.parse(readFileSync(v.current, 'utf8')) as ServiceState)
      : undefined;
    const r = renderService(readFileSync(v.template as string, 'utf8'), {
      project: v.project ?? '',
      region: v.region ?? '',
      service: v.service ?? '',
      image: v.image ?? '',
      sha: v.sha ?? '',
      runtimeServiceAccount: v['runtime-service-account'] ?? '',
      databaseUrlSecret: v['database-url-secret'] ?? '',
      cloudsqlInstance: v['cloudsql-instance'] || undefined,
      appVersion: v['app-version'],
      env: v.env ?? [],
      secrets: v.secret ?? [],
      current,
      revisionSuffix: v['revision-suffix'],
    });
    if (v.out) writeFileSync(v.out, r.yaml);
    else process.stdout.write(r.yaml);
    console.error(`revision=${r.revision} tag=${r.tag}`);
    return 0;
  } catch (err) {
    console.error(`render-service: ${(err as Error).message}`);
    return 2;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main();
