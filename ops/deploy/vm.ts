// The Compute Engine rollout. The VM's agent (deploy/vm/cloud-init.yaml) waits
// on the instance metadata `runway-image`; the rollout sets it (with
// `runway-env`), waits until the guest attributes `runway/image` and
// `runway/state` say the new digest is ready (the agent has pulled it, run the
// migration from it and switched Caddy to it), then checks /ready through
// Caddy. On a failure or a timeout it sets the previous digest back and waits
// for that, so what served before serves again.
import { type Instance, lastSegment, metadata } from '../gcloud/state.ts';
import { type Names, ROLES } from '../names.ts';
import { DeployFailure, lastLines } from './logs.ts';
import { containerEnv, declaration, type Target } from './service.ts';

export const VM_CLOUD_INIT = 'deploy/vm/cloud-init.yaml';
/** Nothing served before (a first rollout). */
export const NONE = 'none';

type GuestAttributes = Array<{ namespace: string; key: string; value: string }>;

/** runway-env and runway-secrets: service.yaml's environment, filled as a Cloud Run deploy fills it. */
export function vmConfig(n: Names, image: string, version: string) {
  const release = {
    image,
    sha: '',
    revisionSuffix: '',
    runtimeServiceAccount: n.vmSa,
    databaseUrlSecret: n.secret,
    cloudsqlInstance: undefined,
  };
  const { values, secrets } = containerEnv(declaration(n, release, version));
  return {
    'runway-env': values.join('\n'),
    'runway-secrets': secrets.map(([name, ref]) => `${name}=${ref.name}`).join('\n'),
  };
}

/** gcloud's --metadata; values hold commas and newlines, so the separator is one they lack. */
export function metadataFlag(items: Record<string, string>): string {
  const pairs = Object.entries(items).map(([k, v]) => `${k}=${v}`);
  const sep = [';', '|', '~'].find((c) => !pairs.some((p) => p.includes(c)));
  if (!sep) throw new Error(`metadata values hold ; | and ~: ${pairs.join(' ')}`);
  return `--metadata=^${sep}^${pairs.join(sep)}`;
}

export interface Rollout {
  image: string;
  version: string;
  /** Where /ready is checked; default http(s) on the VM's domain or address. */
  url?: string;
  timeoutMs: number;
}

export async function rollVm(
  t: Target & { names: Names },
  r: Rollout,
  out: Record<string, string>,
) {
  const n = t.names;
  const context = (what: string) => ({ what, project: t.project, role: ROLES.rollVm });
  const vms = await t.gcloud.json<Instance[]>(
    ['compute', 'instances', 'list', `--project=${t.project}`, '--format=json'],
    context('find the VM'),
  );
  const vm = vms?.find((x) => x.name === n.instance);
  if (!vm)
    throw new DeployFailure(
      `no VM named ${n.instance} in project ${t.project}: run npm run runway -- bootstrap --target vm first`,
    );
  const at = [`--zone=${lastSegment(vm.zone)}`, `--project=${t.project}`];
  const meta = metadata(vm);
  const previous = meta['runway-image'];
  const previousEnv = meta['runway-env'] ?? '';
  Object.assign(out, { previous: previous || NONE, image: r.image });
  const domain = meta['runway-domain'];
  const ip = vm.networkInterfaces?.[0]?.accessConfigs?.[0]?.natIP;
  const base = r.url ?? (domain ? `https://${domain}` : `http://${ip}`);

  const guest = async () => {
    const argv = [
      'compute',
      'instances',
      'get-guest-attributes',
      n.instance,
      '--query-path=runway/',
    ];
    // Nothing written yet is a 404: no state.
    const got = await t.gcloud.run([...argv, ...at, '--format=json']);
    const items: GuestAttributes = got.code === 0 ? JSON.parse(got.stdout || '[]') : [];
    const get = (key: string) => items.find((i) => i.key === key)?.value ?? '';
    return { image: get('image'), state: get('state') };
  };
  const set = (image: string, env: string) =>
    t.gcloud.must(
      ['compute', 'instances', 'add-metadata', n.instance, ...at]
        .concat(metadataFlag({ 'runway-image': image, 'runway-env': env }))
        .concat('--format=none'),
      context(`set runway-image on the VM ${n.instance}`),
    );
  /** Waits until the agent serves `image`; the reason when it does not. */
  const serve = async (image: string, env: string): Promise<string | undefined> => {
    const before = (await guest()).state;
    await set(image, env);
    const deadline = Date.now() + r.timeoutMs;
    for (;;) {
      const g = await guest();
      if (g.image === image && g.state === 'ready') return undefined;
      // A failure reported before this change is not about it.
      if (g.state.startsWith('failed') && g.state !== before) return `the VM reports ${g.state}`;
      if (Date.now() > deadline)
        return `the VM did not report ${image} ready within ${r.timeoutMs / 1000} s (it reports ${g.image || 'no image'}: ${g.state || 'no state'})`;
      await new Promise((ok) => setTimeout(ok, 2000));
    }
  };
  const ready = async (): Promise<string | undefined> => {
    const deadline = Date.now() + r.timeoutMs;
    let why = 'no answer';
    for (;;) {
      try {
        const res = await fetch(new URL('/ready', base), { signal: AbortSignal.timeout(10_000) });
        if (res.ok) return undefined;
        why = `HTTP ${res.status}`;
      } catch (err) {
        why = `no answer (${(err as Error).cause ?? err})`;
      }
      if (Date.now() > deadline) return `GET ${base}/ready through Caddy: ${why}`;
      await new Promise((ok) => setTimeout(ok, 1000));
    }
  };

  const env = vmConfig(n, r.image, r.version)['runway-env'];
  t.log(
    `rollout: ${n.instance} serves ${previous || 'nothing yet'}; setting runway-image to ${r.image}`,
  );
  const why = (await serve(r.image, env)) ?? (await ready());
  if (!why) {
    t.log(`rollout: ${r.image} is ready on ${n.instance} and ${base}/ready answers 200`);
    return;
  }
  const logs = await lastLines(
    t,
    `resource.type="gce_instance" AND resource.labels.instance_id="${vm.id}"`,
  );
  if (!previous)
    throw Object.assign(new DeployFailure(`${why}; nothing served before it`), { logs });
  t.log(`rollout: ${why}; rolling back to ${previous}`);
  const back = await serve(previous, previousEnv);
  const result = back
    ? `the rollback failed too: ${back}`
    : `rolled back: ${previous} serves again`;
  throw Object.assign(new DeployFailure(`${why}; ${result}`), { logs });
}

/** The rollout's outcome for the job summary. */
export function vmSummary(n: Names, out: Record<string, string>, failed?: string) {
  const code = (s: string | undefined) => s && `\`${s}\``;
  const rows = [
    ['VM', code(`${n.project}/${n.instance}`)],
    ['Image', code(out.image)],
    ['Served before', out.previous === NONE ? 'nothing (first deploy)' : code(out.previous)],
  ];
  return [
    failed
      ? `## Rollout of ${n.service} to its VM failed ❌\n\n${failed}`
      : `## Deployed ${n.service} to its VM ✅`,
    '',
    '| | |',
    '|---|---|',
    ...rows.filter(([, v]) => v).map(([k, v]) => `| ${k} | ${v} |`),
  ].join('\n');
}
