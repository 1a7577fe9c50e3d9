// `runway cost`: the monthly cost of a traffic on each platform option, the
// break-even volumes, the assumptions, and (with --chart) the chart.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readBench } from '../../bench/results.ts';
import { parseFlags, UsageError } from '../args.ts';
import { EXIT, type IO, printJson } from '../output.ts';
import {
  breakEven,
  costOptions,
  hourlyRates,
  LOAD_DEFAULTS,
  type Load,
  prices,
  sweep,
} from './model.ts';
import { readProfileFile, SHAPES } from './profile.ts';

export const COST_USAGE = `cost       The monthly cost of a traffic on Cloud Run and on Compute Engine, and the
             volumes where they break even.
             --requests-per-month N --cpu-ms X --latency-ms Y --memory-mib M
             (or --from-bench RESULTS.json for the last three; flags win)
             [--concurrency 80] [--vcpu 1] [--min-instances 0] [--region-tier 1|2]
             [--profile steady|diurnal|bursty | --profile-file HOURLY.csv] [--kib-per-request 1]
             [--chart cost.svg] [--json]`;

// each number flag with an example value for its error message
const NUMBERS = {
  'requests-per-month': '10000000',
  'cpu-ms': '2.5',
  'latency-ms': '40',
  'memory-mib': '512',
  concurrency: '80',
  vcpu: '1',
  'min-instances': '1',
  'kib-per-request': '2',
};
const BENCH_EXAMPLE = 'bench/results/latest.json';

export async function runCost(argv: string[], io: IO & { cwd: string }): Promise<number> {
  try {
    return await cost(argv, io);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`runway cost: ${err.message.replaceAll('\n', ' ')}`);
    return EXIT.usage;
  }
}

/** The flags that state a load: the numbers, then the strings. */
export const LOAD_FLAGS = [
  ...Object.keys(NUMBERS),
  'region-tier',
  'profile',
  'profile-file',
  'from-bench',
];

/** The load the flags state (bootstrap --target vm sizes its VM from it too). */
export function loadFrom(v: Record<string, string | boolean | undefined>, cwd: string) {
  // a file flag's reader; its failure names the flag, the file and an example
  const read = <T>(flag: string, example: string, reader: (path: string) => T): T => {
    try {
      return reader(resolve(cwd, v[flag] as string));
    } catch (err) {
      const why = (err as Error).message;
      throw new UsageError(`--${flag} ${v[flag]}: ${why} (e.g. --${flag} ${example})`);
    }
  };
  const bench = v['from-bench'] ? read('from-bench', BENCH_EXAMPLE, readBench) : undefined;
  const measured = bench && read('from-bench', BENCH_EXAMPLE, () => benchInputs(bench));
  const num = (flag: keyof typeof NUMBERS, fallback?: number, zero = false, whole = false) => {
    const raw = v[flag] as string | undefined;
    const eg = `(e.g. --${flag} ${NUMBERS[flag]})`;
    if (raw === undefined && fallback !== undefined) return fallback;
    if (raw === undefined) {
      const or = flag === 'requests-per-month' ? '' : `, or give --from-bench ${BENCH_EXAMPLE}`;
      throw new UsageError(`--${flag} is required ${eg}${or}`);
    }
    const n = Number(raw);
    if (!Number.isFinite(n) || (zero ? n < 0 : n <= 0) || (whole && !Number.isInteger(n))) {
      const what = `${whole ? 'a whole number' : 'a number'} ${zero ? 'of 0 or more' : 'above 0'}`;
      throw new UsageError(`--${flag} must be ${what}, got "${raw}" ${eg}`);
    }
    return n;
  };
  const tier = v['region-tier'] ?? '1';
  if (tier !== '1' && tier !== '2') {
    throw new UsageError(`--region-tier must be 1 or 2, got "${tier}" (e.g. --region-tier 1)`);
  }
  if (v.profile && v['profile-file']) {
    throw new UsageError(
      '--profile and --profile-file exclude each other (e.g. --profile diurnal)',
    );
  }
  const profile = String(v.profile ?? v['profile-file'] ?? 'steady');
  if (!v['profile-file'] && !SHAPES[profile]) {
    throw new UsageError(
      `--profile must be steady, diurnal or bursty, got "${profile}" (e.g. --profile diurnal)`,
    );
  }
  const load: Load = {
    requestsPerMonth: num('requests-per-month'),
    cpuMs: num('cpu-ms', measured?.cpuMs),
    latencyMs: num('latency-ms', measured?.latencyMs),
    memoryMib: num('memory-mib', measured?.memoryMib),
    concurrency: num('concurrency', LOAD_DEFAULTS.concurrency, false, true),
    vcpu: num('vcpu', LOAD_DEFAULTS.vcpu),
    minInstances: num('min-instances', LOAD_DEFAULTS.minInstances, true, true),
    regionTier: tier === '2' ? 2 : 1,
    kibPerRequest: num('kib-per-request', LOAD_DEFAULTS.kibPerRequest),
    shape: SHAPES[profile] ?? read('profile-file', 'hourly.csv', readProfileFile),
  };
  return { load, bench, measured, profile };
}

async function cost(argv: string[], io: IO & { cwd: string }): Promise<number> {
  const v = parseFlags(argv, {
    ...Object.fromEntries([...LOAD_FLAGS, 'chart'].map((k) => [k, { type: 'string' as const }])),
    json: { type: 'boolean' },
  });
  const { load, bench, measured, profile } = loadFrom(v, io.cwd);
  let options: ReturnType<typeof costOptions>;
  try {
    options = costOptions(load);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new UsageError(`--memory-mib: ${err.message} (e.g. --memory-mib 512)`);
  }
  const crossings = breakEven(load);
  const caption = [
    ...(bench ? [`runway measured by npm run bench (${bench.date})`] : []),
    `CPU ${fmt(load.cpuMs)} ms a request, latency ${fmt(load.latencyMs)} ms, ${fmt(load.memoryMib)} MiB, ` +
      `concurrency ${load.concurrency}, ${load.vcpu} vCPU, min ${load.minInstances} instances`,
    `traffic ${profile}; Cloud Run tier ${load.regionTier}; VMs in ${prices.compute_engine.region}; ` +
      'prices of ops/cost/prices.json',
  ];
  const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const assumptions = {
    ...Object.fromEntries(
      Object.entries(load).flatMap(([k, x]) => (k === 'shape' ? [] : [[snake(k), x]])),
    ),
    profile,
    mean_requests_per_second: load.requestsPerMonth / prices.hours_per_month / 3600,
    peak_requests_per_second: Math.max(...hourlyRates(load)),
    inputs_from: measured
      ? `${v['from-bench']} (${bench?.date}; scenarios ${measured.scenarios.join(', ')}; latency ${measured.latencyIs}); flags win`
      : 'flags',
    hours_per_month: prices.hours_per_month,
    cpu_target: prices.cloud_run.cpu_target.value,
    concurrency_target: prices.cloud_run.concurrency_target.value,
    billing_granularity_s: prices.cloud_run.billing_granularity_s.value,
    vm_prices: `${prices.compute_engine.region}, whatever the region tier`,
    not_included:
      'internet egress and the database (the same on every option), committed-use discounts',
    prices: 'ops/cost/prices.json',
  };
  if (v.chart) {
    const { renderChart } = await import('./chart.ts');
    const svg = await renderChart({ sweep: sweep(load), breakEven: crossings, load, caption });
    writeFileSync(resolve(io.cwd, v.chart as string), svg);
  }
  const cents = (x: number) => Math.round(x * 100) / 100;
  if (v.json) {
    printJson(io, {
      options: options.map((o) => ({ ...o, monthly_usd: cents(o.monthly_usd) })),
      break_even: crossings.map((b) => ({ ...b, usd: cents(b.usd) })),
      assumptions,
    });
    return EXIT.ok;
  }
  const label = (id: string) => options.find((o) => o.id === id)?.label;
  const w = Math.max(...options.map((o) => o.label.length));
  const row = (o: (typeof options)[number]) =>
    `  ${o.label.padEnd(w)}  ${(o.machine_type ?? '').padEnd(13)} ${String(o.instances).padStart(9)}  ${cents(o.monthly_usd).toFixed(2).padStart(11)}`;
  io.stdout(
    [
      `Monthly cost of ${fmt(load.requestsPerMonth)} requests; ${caption.join('; ')}`,
      '',
      `  ${'option'.padEnd(w)}  machine       instances  USD a month`,
      ...options.map(row),
      '',
      ...options.map((o) => `  ${o.label}: ${o.why}`),
      '',
      'Break-even: the lowest volume at which two options cost the same (same shape and inputs)',
      ...crossings.map(
        (b) =>
          `  ${fmt(b.requests_per_month).padStart(15)} requests a month: ${b.between.map(label).join(' = ')}`,
      ),
      '',
      'Assumptions',
      ...Object.entries(assumptions).map(
        ([k, x]) => `  ${k}: ${typeof x === 'number' ? fmt(x) : x}`,
      ),
      ...(v.chart ? ['', `Chart: ${v.chart}`] : []),
    ].join('\n'),
  );
  return EXIT.ok;
}

/**
 * The model's inputs from a benchmark run: the mean over the API scenarios
 * (an equal mix; `live` is a probe, not traffic), and as the memory limit
 * the peak RSS rounded up to a multiple of 128 MiB, plus 128 MiB of headroom.
 */
export function benchInputs(b: ReturnType<typeof readBench>) {
  const api = b.scenarios.filter((s) => s.name !== 'live');
  const used = api.length > 0 ? api : b.scenarios;
  if (used.length === 0) throw new Error('has no scenarios');
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  return {
    cpuMs: mean(used.map((s) => s.cpu_us)) / 1000,
    latencyMs: mean(used.map((s) => s.mean_ms ?? s.p50_ms)),
    latencyIs: used.every((s) => s.mean_ms !== null) ? 'mean' : 'p50, no raw wrk records',
    memoryMib: Math.ceil(b.rss_peak_mb / 128) * 128 + 128,
    scenarios: used.map((s) => s.name),
  };
}

const fmt = (n: number) =>
  n.toLocaleString(
    'en',
    n >= 1000 ? { maximumFractionDigits: 0 } : { maximumSignificantDigits: 3 },
  );
