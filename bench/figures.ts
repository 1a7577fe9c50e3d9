// Prints one target's figures from a benchmark run as the cost model reads
// them: per scenario the mean, p50, p90 and p99 latency, the CPU time per
// request and the memory; the process's cold start beside the container's
// and the image's compressed size; and from these the cost per million
// requests on each billing option (ops/cost).
//
//   node bench/figures.ts bench/results/latest.json [TARGET]
import { readFileSync } from 'node:fs';
import { costOptions, LOAD_DEFAULTS } from '../ops/cost/model.ts';
import { benchInputs } from '../ops/cost/run.ts';
import { readBench } from './results.ts';

const [file, target = 'runway'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/figures.ts RESULTS.json [TARGET]');
  process.exit(2);
}
const run = readBench(file, target);
const ms = (x: number | null) => (x === null ? '-' : x.toFixed(2)).padStart(8);
console.log(`\n${target} in this run (${run.date}); the harness records no p95`);
console.log('  scenario  mean ms   p50 ms   p90 ms   p99 ms  CPU us/req  RSS after MB');
for (const s of run.scenarios) {
  const cpu = s.cpu_us.toFixed(1).padStart(11);
  console.log(
    `  ${s.name.padEnd(8)}${ms(s.mean_ms)} ${ms(s.p50_ms)} ${ms(s.p90_ms)} ${ms(s.p99_ms)} ${cpu} ${String(s.rss_mb ?? '-').padStart(13)}`,
  );
}

// The container's figures come from scripts/container-measure.ts, which
// records them in docs/container-measurements.json ("runtime": the image
// the Dockerfile ships).
const measured = JSON.parse(
  readFileSync(new URL('../docs/container-measurements.json', import.meta.url), 'utf8'),
);
const image = measured.results?.find((r: { target: string }) => r.target === 'runtime');
console.log(
  `\nCold start: the process ${run.cold_start_ms ?? '-'} ms (spawn to the first 200 on /live, this run's median)`,
);
console.log(
  image
    ? `  the container ${image.coldStartReadyMedianMs} ms (container start to the first 200 on /ready, median of ${measured.runs}; ` +
        `${image.processStartToReadyMedianMs} ms of it after the process started); the image ${image.gzipMiB} MiB compressed ` +
        `(docs/container-measurements.json, measured ${String(measured.measuredAt).slice(0, 10)})`
    : '  the container: not measured (node scripts/container-measure.ts --json docs/container-measurements.json)',
);

const compact = (n: number) => Intl.NumberFormat('en', { notation: 'compact' }).format(n);
const inputs = benchInputs(run);
const volumes = [1e7, 1e8, 1e9];
const months = volumes.map((requestsPerMonth) =>
  costOptions({
    ...inputs,
    requestsPerMonth,
    ...LOAD_DEFAULTS,
  }),
);
console.log(
  `\nCost per million requests at a steady load, from ${inputs.scenarios.join(', ')}: CPU ${inputs.cpuMs.toFixed(3)} ms, ` +
    `latency (${inputs.latencyIs}) ${inputs.latencyMs.toFixed(1)} ms, ${inputs.memoryMib} MiB; other loads: npm run runway -- cost`,
);
console.log(
  `  ${'option'.padEnd(38)}${volumes.map((v) => `${compact(v)} a month`.padStart(15)).join('')}`,
);
for (const [i, option] of (months[0] ?? []).entries()) {
  const perMillion = months.map((m, j) => (m[i]?.monthly_usd ?? 0) / ((volumes[j] ?? 1) / 1e6));
  console.log(
    `  ${option.label.padEnd(38)}${perMillion.map((x) => `$${x.toFixed(3)}`.padStart(15)).join('')}`,
  );
}
