// Reads a results JSON of the shared benchmark harness and prints the
// project's performance targets (docs/performance.md) with PASS/FAIL; the
// comparisons with plain and bundled Fastify only when the run has them. A miss is printed, not an error: exit 0 unless the file
// cannot be read or lacks the figures.
//
//   node bench/summary.ts bench/results/latest.json [TARGET]
import { readFileSync } from 'node:fs';

interface Scenario {
  rps?: number | null;
  p99_ms?: number | null;
  cpu_us_per_req?: number | null;
  noise_pct?: number | null;
}
interface Target {
  status?: string;
  cold_start_ms?: { median?: number | null } | null;
  rss_after_load_mb?: number | null;
  scenarios?: Record<string, Scenario>;
}
interface Results {
  meta: Record<string, unknown>;
  ref: string;
  targets: Record<string, Target>;
}

const [file, name = 'runway'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/summary.ts RESULTS.json [TARGET]');
  process.exit(2);
}
const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
const ref = results.ref;
const me = results.targets[name];
const base = results.targets[ref];
if (!me || !base) {
  console.error(`summary: ${file} has no figures for ${me ? ref : name}`);
  process.exit(2);
}
const fastapi = results.targets.fastapi;
// The framework's own floor, where the run has it: plain Fastify for /live,
// Fastify bundled like runway for the cold start.
const fastify = results.targets.fastify;
const fastifyBundled = results.targets['fastify-bundled'];

type Row = {
  target: string;
  limit: string;
  value: number | null;
  pass: boolean | null;
  note?: string;
};
const rows: Row[] = [];
const ratio = (a?: number | null, b?: number | null) =>
  a != null && b != null && b > 0 ? a / b : null;
// higher is better: value >= min; lower is better: value <= max
const atLeast = (target: string, min: number, value: number | null, note?: string) =>
  rows.push({
    target,
    limit: `>= ${min.toFixed(2)}`,
    value,
    pass: value === null ? null : value >= min,
    note,
  });
const atMost = (target: string, max: number, value: number | null, note?: string) =>
  rows.push({
    target,
    limit: `<= ${max.toFixed(2)}`,
    value,
    pass: value === null ? null : value <= max,
    note,
  });

const DB_ROUTES = ['get', 'list', 'create'];
// With JWT authentication the database routes may cost a little more (issue 9).
const dbMin = name.endsWith('-jwt') ? 0.85 : 0.9;
const scenarios = Object.keys(me.scenarios ?? {});
for (const s of scenarios) {
  const a = me.scenarios?.[s];
  const b = base.scenarios?.[s];
  const cpu = ratio(a?.cpu_us_per_req, b?.cpu_us_per_req);
  const note = `CPU us/req ${a?.cpu_us_per_req ?? '-'} vs ${b?.cpu_us_per_req ?? '-'} (x${cpu?.toFixed(2) ?? '-'}), noise ${a?.noise_pct ?? '-'}% / ${b?.noise_pct ?? '-'}%`;
  if (!DB_ROUTES.includes(s)) {
    if (s === 'live' && fastify?.scenarios?.live)
      atLeast('live: req/s vs fastify', 0.85, ratio(a?.rps, fastify.scenarios.live.rps), note);
    continue;
  }
  atLeast(`${s}: req/s vs ${ref}`, dbMin, ratio(a?.rps, b?.rps), note);
  if (fastapi?.scenarios?.[s]) {
    atLeast(`${s}: req/s vs fastapi`, 10, ratio(a?.rps, fastapi.scenarios[s].rps));
  }
  atMost(
    `${s}: p99 vs ${ref}`,
    1.25,
    ratio(a?.p99_ms, b?.p99_ms),
    `${a?.p99_ms ?? '-'} ms vs ${b?.p99_ms ?? '-'} ms`,
  );
}
if (fastifyBundled)
  atMost(
    'cold start vs fastify-bundled',
    1,
    ratio(me.cold_start_ms?.median, fastifyBundled.cold_start_ms?.median),
    `median ${me.cold_start_ms?.median ?? '-'} ms vs ${fastifyBundled.cold_start_ms?.median ?? '-'} ms`,
  );
atMost(
  `RSS after load vs ${ref}`,
  1.3,
  ratio(me.rss_after_load_mb, base.rss_after_load_mb),
  `${me.rss_after_load_mb ?? '-'} MB vs ${base.rss_after_load_mb ?? '-'} MB`,
);

const m = results.meta;
console.log(
  `Targets for ${name}  (${m.date}; ${m.rounds} round(s) of ${m.duration_s} s, ${m.cold_runs} cold starts; ${file})`,
);
const w = Math.max(...rows.map((r) => r.target.length));
console.log(`  ${'target'.padEnd(w)}   ratio   limit    result`);
for (const r of rows) {
  const verdict = r.pass === null ? 'n/a' : r.pass ? 'PASS' : 'FAIL';
  const value = r.value === null ? '-' : r.value.toFixed(2);
  console.log(
    `  ${r.target.padEnd(w)}  ${value.padStart(6)}  ${r.limit}  ${verdict.padEnd(4)}  ${r.note ?? ''}`,
  );
}
const missed = rows.filter((r) => r.pass === false);
const unknown = rows.filter((r) => r.pass === null);
console.log(
  missed.length === 0
    ? `\nAll ${rows.length - unknown.length} targets met${unknown.length ? ` (${unknown.length} not measured)` : ''}.`
    : `\nMISSED ${missed.length} of ${rows.length - unknown.length} targets: ${missed.map((r) => r.target).join('; ')}`,
);
