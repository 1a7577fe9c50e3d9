// What a month of traffic costs on Cloud Run (request- and instance-based
// billing) and on Compute Engine E2 VMs, hour by hour over a traffic shape.
// docs/choosing-a-platform.md writes out every formula used here.
import prices from './prices.json' with { type: 'json' };
import { SHAPES } from './profile.ts';

export { prices };

export interface Load {
  requestsPerMonth: number;
  cpuMs: number;
  latencyMs: number;
  memoryMib: number;
  concurrency: number;
  vcpu: number;
  minInstances: number;
  regionTier: 1 | 2;
  kibPerRequest: number;
  /** relative request counts per hour: 24 (a day) or 168 (a week), repeated over the month */
  shape: number[];
}

/** What a load is unless a flag says otherwise: one vCPU serving 80 at once, scale to zero, steady traffic. */
export const LOAD_DEFAULTS = {
  concurrency: 80,
  vcpu: 1,
  minInstances: 0,
  regionTier: 1,
  kibPerRequest: 1,
  shape: SHAPES.steady as number[],
} satisfies Partial<Load>;

export interface Option {
  id: string;
  label: string;
  platform: 'cloud-run' | 'compute-engine';
  billing: 'request' | 'instance' | 'on-demand' | 'spot';
  machine_type?: string;
  instances: number;
  monthly_usd: number;
  free_tier_applied: boolean;
  why: string;
}

const H = prices.hours_per_month;
const cr = prices.cloud_run;
const ce = prices.compute_engine;
const CPU_TARGET = cr.cpu_target.value;
const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);

/** Requests per second in each hour of the shape. */
export function hourlyRates(load: Load): number[] {
  const total = sum(load.shape);
  return load.shape.map(
    (w) => (load.requestsPerMonth * w) / total / (H / load.shape.length) / 3600,
  );
}

/** Cloud Run in one hour at `rate` requests/s: instances the autoscaler keeps, instances busy. */
function cloudRunHour(load: Load, rate: number) {
  const cpu = (rate * load.cpuMs) / 1000; // vCPU-seconds per second
  const inFlight = (rate * load.latencyMs) / 1000; // Little's law
  const byCpu = Math.ceil(cpu / (CPU_TARGET * load.vcpu));
  const byConcurrency = Math.ceil(inFlight / (cr.concurrency_target.value * load.concurrency));
  const needed = rate > 0 ? Math.max(1, byCpu, byConcurrency) : 0;
  // A request alone on its instance is billed rounded up to the granularity;
  // overlapping requests share the instance, at most `needed` busy at once.
  const step = cr.billing_granularity_s.value;
  const billed = Math.ceil(load.latencyMs / (step * 1000)) * step;
  const busy = Math.max(Math.min(rate * billed, needed), cpu / load.vcpu);
  return { instances: Math.max(load.minInstances, needed), busy, cpu, inFlight };
}

export function costOptions(load: Load): Option[] {
  const rates = hourlyRates(load);
  const repeat = (H / rates.length) * 3600; // seconds of each shape hour in a month
  const hours = rates.map((r) => cloudRunHour(load, r));
  const [gib, R, free] = [load.memoryMib / 1024, load.requestsPerMonth, cr.free_tier];
  const { request: t, instance: ti } = cr.tiers[load.regionTier === 2 ? '2' : '1'];
  const p1 = cr.tiers['1'].request;
  // request-based: busy instance-seconds, idle minimum instances at the idle rate, requests
  const busyS = sum(hours.map((h) => h.busy)) * repeat;
  const idleS = sum(hours.map((h) => Math.max(0, load.minInstances - h.busy))) * repeat;
  const request =
    busyS * (load.vcpu * t.vcpu_s.value + gib * t.gib_s.value) +
    idleS * (load.vcpu * t.idle_vcpu_s.value + gib * t.idle_gib_s.value) +
    (R / 1e6) * t.million_requests.value;
  // the free tier is a discount valued at tier-1 prices
  const requestFree =
    Math.min(busyS * load.vcpu, free.request.vcpu_s.value) * p1.vcpu_s.value +
    Math.min(busyS * gib, free.request.gib_s.value) * p1.gib_s.value +
    (Math.min(R, free.request.requests.value) / 1e6) * p1.million_requests.value;
  // instance-based: every instance the autoscaler keeps, the whole hour
  const instS = sum(hours.map((h) => h.instances)) * repeat;
  const instance =
    Math.max(0, instS * load.vcpu - free.instance.vcpu_s.value) * ti.vcpu_s.value +
    Math.max(0, instS * gib - free.instance.gib_s.value) * ti.gib_s.value;

  const peak = hours.reduce((a, h) => (h.cpu >= a.cpu ? h : a));
  const most = Math.max(...hours.map((h) => h.instances));
  const scaling = `${most} at the busiest hour (${peak.cpu.toPrecision(2)} vCPU of CPU time, ${peak.inFlight.toPrecision(2)} requests in flight)`;
  const busy = `busy ${(busyS / (H * 3600)).toFixed(3)} instances on average; ${scaling}`;
  const run = (billing: 'request' | 'instance', usd: number, freeTier: boolean, why: string) => ({
    id: `cloud-run:${billing}${freeTier && billing === 'request' ? '+free' : ''}`,
    label: `Cloud Run, ${billing}-based${freeTier ? ', free tier' : ''}`,
    platform: 'cloud-run' as const,
    billing,
    instances: most,
    monthly_usd: usd,
    free_tier_applied: freeTier,
    why,
  });
  return [
    run('request', request, false, busy),
    run('request', request - requestFree, true, busy),
    run('instance', instance, true, `instances billed all the time they run; ${scaling}`),
    vm(load, peak.cpu, false),
    vm(load, peak.cpu, true),
  ];
}

/** The smallest E2 type that holds the busiest hour with headroom, or several of the largest. */
function vm(load: Load, peakCpu: number, spot: boolean): Option {
  // one app process per vCPU (at least one), each needing the instance memory
  const types = ce.machine_types.filter(
    (m) =>
      Math.max(1, Math.floor(m.vcpu)) * load.memoryMib <= m.memory_gib * 1024 - ce.os_reserve_mib,
  );
  const largest = types.at(-1);
  if (!largest) throw new RangeError(`${load.memoryMib} MiB per process fits no E2 type listed`);
  const m = types.find((t) => peakCpu <= CPU_TARGET * t.vcpu) ?? largest;
  const vms = Math.max(1, Math.ceil(peakCpu / (CPU_TARGET * m.vcpu)));
  const [perVcpu, perGib] = spot
    ? [ce.e2_spot_vcpu_hour.value, ce.e2_spot_gib_hour.value]
    : [ce.e2_vcpu_hour.value, ce.e2_gib_hour.value];
  const machine = (m.vcpu * perVcpu + m.memory_gib * perGib) * H;
  const disk = ce.disk_gb * ce.balanced_disk_gb_month.value;
  const lb = prices.load_balancer;
  const lbData =
    ((load.requestsPerMonth * load.kibPerRequest) / 1024 ** 2) * lb.data_processed_gib.value;
  const ip = (spot ? ce.external_ip_spot_hour.value : ce.external_ip_hour.value) * H;
  const front = vms > 1 ? lb.forwarding_rule_hour.value * H + lbData : ip;
  const free =
    !spot && vms === 1 && m.name === ce.always_free.machine_type && load.regionTier === 1;
  const sizing = `${peakCpu.toPrecision(2)} vCPU of CPU time at the busiest hour; ${m.name} holds ${(CPU_TARGET * m.vcpu).toFixed(2)}`;
  const extras = free
    ? 'the always-free e2-micro and its standard disk; pays the external IP'
    : `${ce.disk_gb} GB balanced disk each; ${vms > 1 ? `a load balancer in front of ${vms} VMs` : 'an external IP'}`;
  return {
    id: `compute-engine:${spot ? 'spot' : 'on-demand'}`,
    label: `Compute Engine, ${spot ? 'Spot' : 'on demand'}`,
    platform: 'compute-engine',
    billing: spot ? 'spot' : 'on-demand',
    machine_type: m.name,
    instances: vms,
    monthly_usd: (free ? 0 : vms * (machine + disk)) + front,
    free_tier_applied: free,
    why: `${sizing}; ${extras}`,
  };
}

export const RANGE = { from: 1e4, to: 1e10, perDecade: 40 };
const COMPARED = [
  'cloud-run:request+free',
  'cloud-run:instance',
  'compute-engine:on-demand',
  'compute-engine:spot',
];
const costOf = (options: Option[], id: string) =>
  options.find((o) => o.id === id)?.monthly_usd ?? 0;

/** Volumes on a log grid around the load's own, and each option's cost there. */
export function sweep(load: Load) {
  const from = Math.min(RANGE.from, load.requestsPerMonth / 10);
  const to = Math.max(RANGE.to, load.requestsPerMonth * 10);
  const n = Math.ceil(Math.log10(to / from) * RANGE.perDecade);
  return Array.from({ length: n + 1 }, (_, i) => {
    const requests = from * (to / from) ** (i / n);
    return { requests, options: costOptions({ ...load, requestsPerMonth: requests }) };
  });
}

/**
 * For each pair of options, the lowest volume at which their costs cross:
 * the first sign change of the difference on the sweep, refined by bisection.
 */
export function breakEven(load: Load) {
  const grid = sweep(load);
  const at = (r: number) => costOptions({ ...load, requestsPerMonth: r });
  return COMPARED.flatMap((a, i) =>
    COMPARED.slice(i + 1).flatMap((b) => {
      const d = (options: Option[]) => Math.sign(costOf(options, a) - costOf(options, b));
      const k = grid.findIndex((p, j) => j > 0 && d(p.options) !== d(grid[j - 1]?.options ?? []));
      if (k < 1) return [];
      let [lo, hi] = [grid[k - 1]?.requests ?? 0, grid[k]?.requests ?? 0];
      const below = d(grid[k - 1]?.options ?? []);
      for (let step = 0; step < 60; step++) {
        const mid = Math.sqrt(lo * hi);
        if (d(at(mid)) === below) lo = mid;
        else hi = mid;
      }
      const between: [string, string] = [a, b];
      const requests_per_month = Math.round(hi);
      return [{ between, requests_per_month, usd: costOf(at(requests_per_month), a) }];
    }),
  ).sort((x, y) => x.requests_per_month - y.requests_per_month);
}
