// bootstrap --target vm and doctor's VM checks, with the real gcloud against
// the stand-in (Compute Engine included): an empty project in one run, a second
// run that only reads, drift repaired, --dry-run, and the VM's pitfalls.
// gcloud reads the cloud-init file from the operator's directory: a temporary
// one holding a stand-in for deploy/vm/cloud-init.yaml.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readBench } from '../../bench/results.ts';
import { costOptions } from '../../ops/cost/model.ts';
import { benchInputs } from '../../ops/cost/run.ts';
import { IAP_RANGE, vmFirewall } from '../../ops/names.ts';
import { ROOT, runCli } from '../standin/cli.ts';
import { metadataOf } from '../standin/compute.ts';
import type { Policy } from '../standin/iam.ts';
import type { Standin } from '../standin/server.ts';
import {
  BOOTSTRAP,
  cloud,
  GITHUB,
  names as n,
  PROJECT,
  REGION,
  REPOSITORY_ID,
} from './helpers/cloud.ts';

const BENCH = path.join(ROOT, 'test/fixtures/cost/bench.json');
const LOAD = ['--requests-per-month', '30000000', '--from-bench', BENCH];
const VM = [...BOOTSTRAP, '--github-repo-id', REPOSITORY_ID, '--target', 'vm', ...LOAD, '--json'];
const URL = 'postgres://app:pw@db.example.com:5432/app';
const ZONE = `${REGION}-b`;
const CLOUD_INIT = readFileSync(path.join(ROOT, 'deploy/vm/cloud-init.yaml'), 'utf8');
const bootstrap = (s: Standin, argv = VM) => runCli(argv, s, {}, ROOT, URL);

const changes = (stdout: string) =>
  Object.fromEntries(
    JSON.parse(stdout).steps.map((x: { id: string; changes: string[] }) => [x.id, x.changes]),
  );
const roles = (s: Standin, key: string, member: string) =>
  ((s.state.policies[key] as Policy | undefined)?.bindings ?? [])
    .filter((b) => b.members.includes(member))
    .map((b) => b.role)
    .sort();
const instance = (s: Standin) => s.state.compute.resources.get(`zones/${ZONE}/instances/runway`);
const firewall = (s: Standin, name: string) =>
  s.state.compute.resources.get(`global/firewalls/${name}`);

let first: Promise<Standin['state']> | undefined;
/** The project after one bootstrap --target vm on an empty project. */
const bootstrapped = () => {
  first ??= (async () => {
    const s = await cloud();
    try {
      const r = await bootstrap(s);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        Object.entries(changes(r.stdout))
          .filter(([, c]) => (c as string[]).length === 0)
          .map(([id]) => id),
        [],
        'every step changed the empty project',
      );
      return structuredClone(s.state);
    } finally {
      await s.close();
    }
  })();
  return first;
};

describe('bootstrap --target vm', { concurrency: true }, () => {
  it('creates the VM as cost sizes it, with its firewall, static IP, identity and metadata', async () => {
    const s = await cloud(await bootstrapped());
    try {
      const vm = instance(s);
      const load = benchInputs(readBench(BENCH));
      const recommended = costOptions({
        ...load,
        requestsPerMonth: 30_000_000,
        concurrency: 80,
        vcpu: 1,
        minInstances: 0,
        regionTier: 1,
        kibPerRequest: 1,
        shape: Array(24).fill(1),
      }).find((o) => o.id === 'compute-engine:on-demand')?.machine_type;
      assert.match(vm.machineType, new RegExp(`/machineTypes/${recommended}$`));
      const disk = s.state.compute.resources.get(`zones/${ZONE}/disks/runway`);
      assert.match(disk.sourceImage, /\/projects\/debian-cloud\/global\/images\/debian-13-/);
      assert.deepEqual(vm.serviceAccounts, [
        { email: n.vmSa, scopes: ['https://www.googleapis.com/auth/cloud-platform'] },
      ]);
      assert.deepEqual(vm.shieldedInstanceConfig, {
        enableIntegrityMonitoring: true,
        enableSecureBoot: true,
        enableVtpm: true,
      });
      assert.deepEqual(vm.tags.items, [n.networkTag]);
      const ip = s.state.compute.resources.get(`regions/${REGION}/addresses/${n.address}`);
      assert.equal(vm.networkInterfaces[0].accessConfigs[0].natIP, ip.address);
      assert.deepEqual(metadataOf(vm), {
        'enable-guest-attributes': 'TRUE',
        'runway-domain': '',
        'runway-secrets': `DATABASE_URL=${n.secret}\nAPI_KEY_PEPPER=${n.pepper}`,
        'user-data': CLOUD_INIT,
      });
      const [web, ssh] = vmFirewall(n).map((f) => firewall(s, f.name));
      assert.deepEqual(
        [web, ssh].map((f) => [f.sourceRanges, f.allowed, f.targetTags]),
        [
          [
            ['0.0.0.0/0'],
            [80, 443].map((p) => ({ IPProtocol: 'tcp', ports: [String(p)] })),
            ['runway'],
          ],
          [[IAP_RANGE], [{ IPProtocol: 'tcp', ports: ['22'] }], ['runway']],
        ],
      );
      assert.ok(!s.state.enabled.includes('run.googleapis.com'));
      assert.deepEqual(Object.keys(s.state.serviceAccounts).sort(), [n.deployerSa, n.vmSa]);
    } finally {
      await s.close();
    }
  });

  it("grants the VM's account and the deployer only what the VM path needs", async () => {
    const s = await cloud(await bootstrapped());
    try {
      const vm = `serviceAccount:${n.vmSa}`;
      const deployer = `serviceAccount:${n.deployerSa}`;
      assert.deepEqual(roles(s, `projects/${PROJECT}`, vm), [
        'roles/logging.logWriter',
        'roles/monitoring.metricWriter',
      ]);
      for (const secret of [n.secret, n.pepper])
        assert.deepEqual(roles(s, `secrets/${secret}`, vm), ['roles/secretmanager.secretAccessor']);
      const repo = `repositories/${REGION}/${n.repository}`;
      assert.deepEqual(roles(s, repo, vm), ['roles/artifactregistry.reader']);
      assert.deepEqual(roles(s, `projects/${PROJECT}`, deployer), [
        'roles/compute.viewer',
        'roles/logging.viewer',
      ]);
      assert.deepEqual(roles(s, repo, deployer), ['roles/artifactregistry.writer']);
      assert.deepEqual(roles(s, `zones/${ZONE}/instances/runway`, deployer), [
        'roles/compute.instanceAdmin.v1',
      ]);
      assert.deepEqual(roles(s, `serviceAccounts/${n.vmSa}`, deployer), [
        'roles/iam.serviceAccountUser',
      ]);
    } finally {
      await s.close();
    }
  });

  it('changes nothing when run again: it only reads', async () => {
    const s = await cloud(await bootstrapped());
    try {
      const r = await bootstrap(s);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(s.writes(), []);
    } finally {
      await s.close();
    }
  });

  it('repairs drift: SSH opened to the internet, the default scopes, guest attributes off', async () => {
    const s = await cloud(await bootstrapped());
    const ssh = vmFirewall(n)[1]?.name as string;
    firewall(s, ssh).sourceRanges = ['0.0.0.0/0'];
    const vm = instance(s);
    vm.serviceAccounts = [
      { email: 'default', scopes: ['https://www.googleapis.com/auth/devstorage.read_only'] },
    ];
    vm.metadata.items = vm.metadata.items.filter(
      (i: { key: string }) => i.key !== 'enable-guest-attributes',
    );
    try {
      const r = await bootstrap(s, [...VM, '--domain', 'api.example.com']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        Object.entries(changes(r.stdout)).flatMap(([id, c]) =>
          (c as string[]).length ? [id] : [],
        ),
        ['vm'],
      );
      assert.deepEqual(firewall(s, ssh).sourceRanges, [IAP_RANGE]);
      assert.deepEqual(vm.serviceAccounts[0].email, n.vmSa);
      assert.equal(vm.status, 'RUNNING');
      assert.equal(metadataOf(vm)['enable-guest-attributes'], 'TRUE');
      assert.equal(metadataOf(vm)['runway-domain'], 'api.example.com');
    } finally {
      await s.close();
    }
  });

  it('--dry-run calls nothing and shows what a run does on an empty project', async () => {
    const s = await cloud();
    try {
      const r = await bootstrap(s, [...VM, '--dry-run']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(s.calls, []);
      const commands = JSON.parse(r.stdout).steps.find(
        (x: { id: string }) => x.id === 'vm',
      ).commands;
      assert.match(
        commands.at(-1).command,
        /^gcloud compute instances create runway .*--metadata-from-file=user-data=deploy\/vm\/cloud-init\.yaml /,
      );
    } finally {
      await s.close();
    }
  });

  it('refuses a VM with no size, Cloud SQL, or a zone of another region, calling nothing', async () => {
    const s = await cloud();
    const base = [...BOOTSTRAP, '--github-repo-id', REPOSITORY_ID, '--target', 'vm'];
    try {
      for (const [argv, why] of [
        [base, /--target vm needs --machine-type, or the load/],
        [[...base, ...LOAD, '--with-cloudsql'], /--with-cloudsql is for Cloud Run/],
        [[...base, ...LOAD, '--zone', 'us-east1-b'], /--zone must be a zone of europe-west1/],
        [[...BOOTSTRAP, '--zone', `${REGION}-b`], /--zone is a flag of --target vm/],
      ] as const) {
        const r = await bootstrap(s, [...argv]);
        assert.equal(r.code, 2, argv.join(' '));
        assert.match(r.stderr, why);
      }
      assert.deepEqual(s.calls, []);
    } finally {
      await s.close();
    }
  });
});

/** doctor's live findings (pitfalls 1, 2 and 11, or about the live run itself). */
async function doctor(s: Standin) {
  const argv = ['doctor', '--json', '--project', PROJECT, '--region', REGION, '--github', GITHUB];
  const r = await runCli(argv, s, {}, ROOT);
  const doc = JSON.parse(r.stdout) as { findings: Array<Record<string, string | number>> };
  return doc.findings.filter(
    (f) => [1, 2, 11].includes(f.pitfall as number) || /^live-/.test(String(f.id)),
  );
}

describe('doctor on the VM path', { concurrency: true }, () => {
  it('after bootstrap --target vm without --domain: only that the VM serves plain HTTP', async () => {
    const s = await cloud(await bootstrapped());
    try {
      const found = await doctor(s);
      assert.deepEqual(
        found.map((f) => [f.id, f.pitfall, f.severity]),
        [['vm-http-only', 11, 'warning']],
      );
      assert.match(String(found[0]?.message), /serves plain HTTP on 203\.0\.113\.\d+/);
      assert.match(
        String(found[0]?.fix),
        /gcloud compute instances add-metadata runway --metadata=runway-domain=api\.example\.com --zone=europe-west1-b/,
      );
    } finally {
      await s.close();
    }
  });

  it("flags SSH open to the internet, a tag, the VM's scopes and another OS, with fixes that work as printed", async () => {
    const s = await cloud(await bootstrapped());
    const vm = instance(s);
    vm.serviceAccounts[0].scopes = ['https://www.googleapis.com/auth/devstorage.read_only'];
    vm.metadata.items.push({
      key: 'runway-image',
      value: 'europe-west1-docker.pkg.dev/p/runway/runway:latest',
    });
    s.state.compute.resources.get(`zones/${ZONE}/disks/runway`).sourceImage =
      'http://compute.standin/compute/v1/projects/cos-cloud/global/images/cos-121-18867-199-88';
    s.state.compute.resources.set('global/firewalls/default-allow-ssh', {
      kind: 'compute#firewall',
      name: 'default-allow-ssh',
      direction: 'INGRESS',
      allowed: [{ IPProtocol: 'tcp', ports: ['22'] }],
      sourceRanges: ['0.0.0.0/0'],
      selfLink: `http://compute.standin/compute/v1/projects/${PROJECT}/global/firewalls/default-allow-ssh`,
    });
    try {
      const found = await doctor(s);
      assert.deepEqual(
        found.map((f) => f.id),
        [
          ...['bootstrap-vm', 'bootstrap-vm', 'bootstrap-vm'],
          ...['vm-http-only', 'vm-image-not-by-digest', 'vm-ssh-open', 'vm-image-family'],
        ],
      );
      assert.match(
        String(found[0]?.message),
        /stop the VM to change its identity \(it ran as .* with scopes .*devstorage\.read_only\)/,
      );
      assert.match(
        String(found[6]?.message),
        /boots from cos-cloud\/cos-121-18867-199-88 \(family cos-121-lts\), not the image family debian-13 of debian-cloud/,
      );
      const runnable = found.filter((f) => f.id === 'bootstrap-vm' || f.id === 'vm-ssh-open');
      for (const f of runnable) {
        const fix = String(f.fix).replace(/ \(then SSH through IAP.*$/, '');
        const sh = spawn('sh', ['-c', fix], { env: s.env(), stdio: 'ignore' });
        const [code] = await once(sh, 'close');
        assert.equal(code, 0, fix);
      }
      assert.deepEqual(
        (await doctor(s)).map((f) => f.id),
        ['vm-http-only', 'vm-image-not-by-digest', 'vm-image-family'],
      );
    } finally {
      await s.close();
    }
  });
});
