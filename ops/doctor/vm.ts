// Pitfall 11 (pitfalls.ts), the VM's checks that bootstrap cannot repair by
// itself: what the VM serves and how, another firewall rule that opens SSH to
// the internet, and the OS its boot disk came from. The rest of pitfall 11
// (our firewall rules, the static IP, the VM's account, scopes and metadata)
// is bootstrap's plan, in live.ts.
import { cmd, type Gcloud, GcloudError, shellJoin } from '../gcloud/run.ts';
import { type Firewall, lastSegment, metadata, type State } from '../gcloud/state.ts';
import { IAP_RANGE, type Names, VM_IMAGE, vmFirewall } from '../names.ts';
import type { Finding } from './types.ts';

/** Whether a rule lets tcp:22 in from the whole internet to the VM's tags. */
function opensSsh(f: Firewall, tags: string[]): boolean {
  const port22 = (a: { IPProtocol: string; ports?: string[] }) =>
    a.IPProtocol === 'all' ||
    (a.IPProtocol === 'tcp' &&
      (!a.ports?.length ||
        a.ports.some((p) => {
          const [lo, hi = lo] = p.split('-').map(Number);
          return (lo ?? 0) <= 22 && 22 <= (hi ?? 0);
        })));
  const toVm = f.targetServiceAccounts?.length
    ? false
    : !f.targetTags?.length || f.targetTags.some((t) => tags.includes(t));
  return (
    !f.disabled &&
    (f.direction ?? 'INGRESS') === 'INGRESS' &&
    !!f.sourceRanges?.includes('0.0.0.0/0') &&
    !!f.allowed?.some(port22) &&
    toVm
  );
}

export async function vmFindings(g: Gcloud, s: State, n: Names): Promise<Finding[]> {
  const vm = s.instance;
  if (!vm) return [];
  const p = `--project=${n.project}`;
  const at = [`--zone=${n.zone}`, p];
  const m = metadata(vm);
  const found: Finding[] = [];
  const add = (id: string, severity: Finding['severity'], message: string, fix: string) =>
    found.push({ id, pitfall: 11, severity, message, fix });
  const ip = vm.networkInterfaces?.[0]?.accessConfigs?.[0]?.natIP ?? 'its IP';
  if (!m['runway-domain'])
    add(
      'vm-http-only',
      'warning',
      `the VM ${n.instance} has no runway-domain: Caddy serves plain HTTP on ${ip}, with no certificate`,
      `point a DNS A record at ${ip}, then: ${shellJoin(['gcloud', ...cmd('compute instances add-metadata', n.instance, '--metadata=runway-domain=api.example.com', ...at)])}`,
    );
  const image = m['runway-image'];
  if (image && !/@sha256:[0-9a-f]{64}$/.test(image))
    add(
      'vm-image-not-by-digest',
      'error',
      `the VM's runway-image is ${image}, not an image by digest: the VM's agent refuses it, and a tag names whatever was pushed last`,
      'npm run runway -- deploy --target vm --project PROJECT --image REGION-docker.pkg.dev/PROJECT/REPO/SERVICE@sha256:DIGEST',
    );
  const ours = vmFirewall(n).map((f) => f.name);
  for (const f of s.firewalls ?? [])
    if (!ours.includes(f.name) && opensSsh(f, vm.tags?.items ?? []))
      add(
        'vm-ssh-open',
        'error',
        `the firewall rule ${f.name} lets SSH (tcp:22) in from 0.0.0.0/0 to the VM ${n.instance}; runway's rule allows it from IAP's range ${IAP_RANGE} only`,
        `${shellJoin(['gcloud', ...cmd('compute firewall-rules delete', f.name, p)])} (then SSH through IAP: gcloud compute ssh ${n.instance} --tunnel-through-iap)`,
      );
  // The boot disk's source image, and that image's family.
  const boot = vm.disks?.find((d) => d.boot)?.source;
  try {
    const disk = boot
      ? await g.json<{ sourceImage?: string }>(
          cmd('compute disks describe', lastSegment(boot), ...at, '--format=json'),
          { what: 'read the VM boot disk', project: n.project },
        )
      : null;
    const [, project, name] =
      disk?.sourceImage?.match(/projects\/([^/]+)\/global\/images\/([^/]+)$/) ?? [];
    const family = project
      ? (
          await g.json<{ family?: string }>(
            cmd('compute images describe', name as string, `--project=${project}`, '--format=json'),
            { what: 'read the image of the VM boot disk', project: n.project },
          )
        )?.family
      : undefined;
    if (project !== VM_IMAGE.project || family !== VM_IMAGE.family)
      add(
        'vm-image-family',
        'error',
        `the VM ${n.instance} boots from ${name ? `${project}/${name} (family ${family ?? 'none'})` : 'an image nobody names'}, not the image family ${VM_IMAGE.family} of ${VM_IMAGE.project} that deploy/vm/cloud-init.yaml is written for`,
        `recreate it (its static IP stays): ${shellJoin(['gcloud', ...cmd('compute instances delete', n.instance, ...at)])}, then the bootstrap command with --target vm`,
      );
  } catch (err) {
    if (!(err instanceof GcloudError)) throw err;
    add(
      'vm-image-family',
      'warning',
      `the VM's OS could not be read: ${err.message}`,
      err.failure.fix,
    );
  }
  return found;
}
