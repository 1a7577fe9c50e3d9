// The cost model against hand-computed months (to the cent), its break-even
// search, the chart and the `cost` verb's inputs and errors. Prices are those
// of ops/cost/prices.json; each hand computation below spells out its terms.
// A month is 730 hours = 2,628,000 s; "1 KiB" of load-balancer data a request.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import {
  breakEven,
  costOptions,
  LOAD_DEFAULTS,
  type Load,
  type Option,
} from '../../ops/cost/model.ts';
import { SHAPES } from '../../ops/cost/profile.ts';
import { runCost } from '../../ops/cost/run.ts';

const base: Load = {
  requestsPerMonth: 1e6,
  cpuMs: 5,
  latencyMs: 50,
  memoryMib: 256,
  ...LOAD_DEFAULTS,
};
const cents = (options: Option[]) =>
  Object.fromEntries(options.map((o) => [o.id, Math.round(o.monthly_usd * 100) / 100]));
const option = (options: Option[], id: string) => options.find((o) => o.id === id) as Option;

async function cli(args: string[], cwd = process.cwd()) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCost(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('monthly cost, computed by hand', () => {
  it('a steady load under the free tier costs nothing on request-based Cloud Run', () => {
    // 1M requests, each alone on its instance: billed 50 ms rounded up to 100 ms
    // = 100,000 vCPU-s x $0.000024 = $2.40 + 25,000 GiB-s x $0.0000025 = $0.0625
    // + 1M requests x $0.40/M = $0.40 -> $2.8625; all of it inside the free tier.
    // Instance-based: 1 instance all month = 2,628,000 vCPU-s, minus 240,000 free,
    // x $0.000018 = $42.984; 657,000 GiB-s minus 450,000 free x $0.000002 = $0.414.
    const o = cents(costOptions(base));
    assert.equal(o['cloud-run:request'], 2.86);
    assert.equal(o['cloud-run:request+free'], 0);
    assert.equal(o['cloud-run:instance'], 43.4);
  });

  it('takes the always-free e2-micro when it holds the peak, and pays its IP', () => {
    // 0.38 req/s x 5 ms = 0.0019 vCPU, within 60% of e2-micro's 0.25 vCPU: the
    // machine and its standard disk are free, the IP is 730 h x $0.005 = $3.65.
    // Spot is never free: (0.25 x $0.006543 + 1 GiB x $0.000877) x 730 = $1.834
    // + 10 GB x $0.10 disk + 730 h x $0.0025 IP = $4.66.
    const options = costOptions(base);
    const onDemand = option(options, 'compute-engine:on-demand');
    assert.equal(onDemand.machine_type, 'e2-micro');
    assert.equal(onDemand.free_tier_applied, true);
    assert.equal(cents(options)['compute-engine:on-demand'], 3.65);
    assert.equal(cents(options)['compute-engine:spot'], 4.66);
    // in a tier-2 region the always-free offer does not apply
    const tier2 = option(costOptions({ ...base, regionTier: 2 }), 'compute-engine:on-demand');
    assert.equal(tier2.free_tier_applied, false);
  });

  it('10M requests of 50 ms', () => {
    // billed 100 ms each: 1,000,000 vCPU-s x $0.000024 = $24 + 500,000 GiB-s
    // (512 MiB) x $0.0000025 = $1.25 + 10 x $0.40 = $4 -> $29.25. Free tier:
    // - 180,000 x $0.000024 - 360,000 x $0.0000025 - 2 x $0.40 = -$6.02 -> $23.23.
    // Instance-based: $42.984 + (1,314,000 - 450,000) x $0.000002 = $44.71.
    const o = cents(costOptions({ ...base, requestsPerMonth: 1e7, cpuMs: 2, memoryMib: 512 }));
    assert.equal(o['cloud-run:request'], 29.25);
    assert.equal(o['cloud-run:request+free'], 23.23);
    assert.equal(o['cloud-run:instance'], 44.71);
  });

  const heavy = { ...base, requestsPerMonth: 1e9, cpuMs: 4, latencyMs: 20, memoryMib: 512 };

  it('a load that needs several instances', () => {
    // 380.5 req/s x 4 ms = 1.522 vCPU / (60% of 1 vCPU) -> 3 instances, busy all
    // the time: 7,884,000 vCPU-s x $0.000024 = $189.216 + 3,942,000 GiB-s x
    // $0.0000025 = $9.855 + 1,000 x $0.40 = $400 -> $599.07; free tier -$6.02.
    // Instance-based: (7,884,000 - 240,000) x $0.000018 = $137.592
    // + (3,942,000 - 450,000) x $0.000002 = $6.984 -> $144.58.
    const options = costOptions(heavy);
    assert.equal(option(options, 'cloud-run:request').instances, 3);
    const o = cents(options);
    assert.equal(o['cloud-run:request'], 599.07);
    assert.equal(o['cloud-run:request+free'], 593.05);
    assert.equal(o['cloud-run:instance'], 144.58);
  });

  it('a load that needs two VMs and a load balancer', () => {
    // 1.522 vCPU at the peak; an e2-standard-2 holds 60% of 2 = 1.2 -> 2 VMs at
    // (2 x $0.021811 + 8 x $0.002923) x 730 = $48.914 each, + 2 x $1 disk, + the
    // forwarding rule 730 h x $0.025 = $18.25 + 1e9 KiB = 953.67 GiB x $0.008 = $7.63.
    // Spot: 2 x (2 x $0.006543 + 8 x $0.000877) x 730 = $29.349 + $2 + $25.879.
    const options = costOptions(heavy);
    const vm = option(options, 'compute-engine:on-demand');
    assert.deepEqual([vm.machine_type, vm.instances], ['e2-standard-2', 2]);
    assert.match(vm.why, /load balancer in front of 2 VMs/);
    assert.equal(cents(options)['compute-engine:on-demand'], 125.71);
    assert.equal(cents(options)['compute-engine:spot'], 57.23);
  });

  it('a diurnal profile: Cloud Run follows the hours, the VM is sized for the peak', () => {
    // 50M requests over the diurnal shape (weights sum to 60): 7.61 req/s per
    // weight unit. 9 quiet hours (weight 1): billed 7.61 x 0.1 s = 0.761 busy;
    // 6 hours at weight 2-3: 1 instance busy; 9 peak hours (weight 4, 0.609 vCPU
    // of CPU time > 0.6): 2 instances busy. A shape hour recurs 730/24 times:
    // busy = (9 x 0.761035 + 6 + 18) x 3600 x 730/24 = 3,378,000 instance-s
    // x ($0.000024 + 0.5 x $0.0000025) = $85.2945 + 50 x $0.40 -> $105.29;
    // free tier -$6.02 -> $99.27. Instance-based: (15 + 18) x 109,500 = 3,613,500
    // instance-s: (3,613,500 - 240,000) x $0.000018 + (1,806,750 - 450,000)
    // x $0.000002 = $63.44. The VM holds the peak's 0.609 vCPU: e2-standard-2,
    // $48.91 + $1 disk + $3.65 IP = $53.56; Spot $14.674 + $1 + $1.825 = $17.50.
    const options = costOptions({
      ...base,
      requestsPerMonth: 5e7,
      cpuMs: 20,
      latencyMs: 30,
      memoryMib: 512,
      shape: SHAPES.diurnal as number[],
    });
    assert.equal(option(options, 'cloud-run:instance').instances, 2);
    assert.equal(option(options, 'compute-engine:on-demand').machine_type, 'e2-standard-2');
    assert.deepEqual(cents(options), {
      'cloud-run:request': 105.29,
      'cloud-run:request+free': 99.27,
      'cloud-run:instance': 63.44,
      'compute-engine:on-demand': 53.56,
      'compute-engine:spot': 17.5,
    });
  });
});

describe('break-even', () => {
  it('lies where the two options cost the same: one is cheaper just below, the other just above', () => {
    const load = { ...base, cpuMs: 2, memoryMib: 512, shape: SHAPES.diurnal as number[] };
    const found = breakEven(load);
    assert.ok(found.length >= 3, JSON.stringify(found));
    for (const { between, requests_per_month: r } of found) {
      const gap = (at: number) => {
        const options = costOptions({ ...load, requestsPerMonth: at });
        return option(options, between[0]).monthly_usd - option(options, between[1]).monthly_usd;
      };
      assert.ok(gap(r * 0.999) * gap(r * 1.001) < 0, `${between.join(' / ')} at ${r}`);
    }
  });
});

describe('runway cost', () => {
  const required = ['--requests-per-month', '2e7', '--cpu-ms', '2', '--latency-ms', '40'];

  it('prints options, break-even volumes and assumptions as JSON', async () => {
    const { code, stdout } = await cli([...required, '--memory-mib', '512', '--json']);
    assert.equal(code, 0);
    const out = JSON.parse(stdout);
    assert.deepEqual(
      out.options.map((o: Option) => [o.platform, o.billing, o.free_tier_applied]),
      [
        ['cloud-run', 'request', false],
        ['cloud-run', 'request', true],
        ['cloud-run', 'instance', true],
        ['compute-engine', 'on-demand', true],
        ['compute-engine', 'spot', false],
      ],
    );
    assert.ok(out.break_even.every((b: { between: string[] }) => b.between.length === 2));
    assert.equal(out.assumptions.requests_per_month, 2e7);
    assert.equal(out.assumptions.memory_mib, 512);
  });

  it('is the CLI verb `cost`, with its exit codes', async () => {
    // imported here so that the rest of this file does not load every verb
    const { main } = await import('../../ops/cli.ts');
    const out: string[] = [];
    const ctx = {
      stdout: (t: string) => out.push(t),
      stderr: () => {},
      env: {},
      cwd: process.cwd(),
    };
    assert.equal(await main(['cost', ...required, '--memory-mib', '512', '--json'], ctx), 0);
    assert.equal(JSON.parse(out.join('')).options.length, 5);
    assert.equal(await main(['cost', ...required], ctx), 2);
  });

  it('draws the chart: valid SVG, one line per option, a mark per break-even volume', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runway-cost-'));
    const { code, stdout } = await cli(
      [...required, '--memory-mib', '512', '--profile', 'bursty', '--chart', 'cost.svg', '--json'],
      dir,
    );
    assert.equal(code, 0);
    const svg = readFileSync(join(dir, 'cost.svg'), 'utf8');
    assert.equal(XMLValidator.validate(svg), true);
    // Vega writes each mark as <g class="mark-TYPE role-mark NAME"> holding its items
    const groups: Array<{ cls: string; paths: number }> = [];
    const walk = (node: unknown): void => {
      if (!node || typeof node !== 'object') return;
      if (Array.isArray(node)) {
        for (const child of node) walk(child);
        return;
      }
      const n = node as Record<string, unknown>;
      const cls = n['@_class'];
      if (typeof cls === 'string' && cls.includes('role-mark')) {
        const p = n.path;
        groups.push({ cls, paths: Array.isArray(p) ? p.length : p ? 1 : 0 });
      }
      for (const child of Object.values(n)) walk(child);
    };
    walk(new XMLParser({ ignoreAttributes: false }).parse(svg));
    const lines = groups.filter((g) => g.cls.includes('mark-line'));
    const breaks = groups.find((g) => g.cls.includes('break_even_marks'));
    assert.equal(lines.length, JSON.parse(stdout).options.length);
    assert.ok(lines.every((g) => g.paths === 1));
    assert.equal(breaks?.paths, JSON.parse(stdout).break_even.length);
    assert.match(svg, /traffic bursty/);
  });

  it('reads CPU, latency and memory from a results file the benchmark wrote', async () => {
    // test/fixtures/cost/ is a real `npm run bench -- --duration 2 --warmup 1
    // --cold-runs 2 --seed 100` run (2026-12-02), cut to runway's figures:
    // bench.json keeps meta, ref and targets.runway of the results file, and
    // bench.d/facts.tsv its lines "runway<TAB>wrk<TAB>..." (the raw wrk records).
    const { code, stdout } = await cli([
      '--requests-per-month',
      '1e7',
      '--from-bench',
      'test/fixtures/cost/bench.json',
      '--json',
    ]);
    assert.equal(code, 0);
    const a = JSON.parse(stdout).assumptions;
    // get, list, create (live is left out): CPU (154.2 + 180 + 149.6) / 3 us;
    // mean latency (23.4309 + 18.8481 + 22.4064) / 3 ms; peak RSS 124.6 MB -> 128 + 128 MiB
    assert.equal(a.cpu_ms.toFixed(4), '0.1613');
    assert.equal(a.latency_ms.toFixed(2), '21.56');
    assert.equal(a.memory_mib, 256);
    assert.match(a.inputs_from, /2026-12-02T08:01:18Z; scenarios get, list, create; latency mean/);
    // a flag wins over the file
    const flagged = await cli([
      '--requests-per-month',
      '1e7',
      '--from-bench',
      'test/fixtures/cost/bench.json',
      '--memory-mib',
      '512',
      '--json',
    ]);
    assert.equal(JSON.parse(flagged.stdout).assumptions.memory_mib, 512);
  });

  it('reads a 24-hour profile file with a header', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runway-cost-'));
    const hours = SHAPES.diurnal?.map((n, h) => `${h},${n * 1000}`).join('\n');
    writeFileSync(join(dir, 'hourly.csv'), `hour,requests\n${hours}\n`);
    const args = [...required, '--memory-mib', '512', '--json'];
    const fromFile = await cli([...args, '--profile-file', 'hourly.csv'], dir);
    const builtIn = await cli([...args, '--profile', 'diurnal'], dir);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.deepEqual(JSON.parse(fromFile.stdout).options, JSON.parse(builtIn.stdout).options);
  });

  it('rejects bad input with one line that names the flag and an example, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runway-cost-'));
    writeFileSync(join(dir, 'short.csv'), '1\n2\n3\n');
    writeFileSync(join(dir, 'words.csv'), `${'5\n'.repeat(23)}many\n`);
    writeFileSync(join(dir, 'broken.json'), '{"targets": ');
    writeFileSync(join(dir, 'other.json'), '{"targets": {"express": {}}}');
    const mem = ['--memory-mib', '512'];
    const cases: Array<[string[], string]> = [
      [['--cpu-ms', '2', '--latency-ms', '40', ...mem], '--requests-per-month is required'],
      [[...required.slice(0, 2), '--cpu-ms=-1', '--latency-ms', '40', ...mem], '--cpu-ms must be'],
      [[...required, '--memory-mib', '0'], '--memory-mib must be'],
      [[...required, '--memory-mib', 'lots'], '--memory-mib must be'],
      [[...required, ...mem, '--concurrency', '2.5'], '--concurrency must be a whole number'],
      [[...required, ...mem, '--region-tier', '3'], '--region-tier must be 1 or 2'],
      [[...required, ...mem, '--profile', 'spiky'], '--profile must be'],
      [[...required, ...mem, '--profile-file', 'missing.csv'], '--profile-file missing.csv'],
      [[...required, ...mem, '--profile-file', 'short.csv'], 'has 3 hourly counts'],
      [[...required, ...mem, '--profile-file', 'words.csv'], 'line 24 "many"'],
      [[...required, '--from-bench', 'broken.json'], '--from-bench broken.json'],
      [[...required, '--from-bench', 'other.json'], 'no figures for the target "runway"'],
      [[...required, '--memory-mib', '9000'], '--memory-mib'],
      [[...required, ...mem, '--bogus'], 'bogus'],
    ];
    for (const [args, message] of cases) {
      const { code, stderr, stdout } = await cli(args, dir);
      assert.equal(code, 2, args.join(' '));
      assert.equal(stdout, '');
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.ok(stderr.includes(message), `${args.join(' ')}: ${stderr}`);
      if (!args.includes('--bogus')) assert.match(stderr, /\(e\.g\. --[a-z-]+ /, stderr);
    }
  });
});
