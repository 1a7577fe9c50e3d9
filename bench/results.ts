// Reads one target's figures from a results file of the shared benchmark
// harness: per scenario the CPU time per request, the latencies and the
// memory. The mean and p90 latencies are only in the raw wrk records the
// harness keeps beside the results (RESULTS.d/facts.tsv); without them they
// are null. The harness's wrk script records no p95.
import { existsSync, readFileSync, realpathSync } from 'node:fs';

interface Scenario {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  cpu_us_per_req: number;
  rss_after_mb: number | null;
  rounds: Array<{ round: number; rps: number }>;
}
type Wrk = { scenario: string; round: number; wrk?: { latency_us: { mean: number; p90: number } } };

export function readBench(file: string, target = 'runway') {
  const results = JSON.parse(readFileSync(file, 'utf8'));
  const t = results?.targets?.[target];
  if (!t?.scenarios || !t.rss_peak_mb) throw new Error(`has no figures for the target "${target}"`);
  // beside the file itself, not beside a link to it (latest.json)
  const facts = realpathSync(file).replace(/\.json$/, '.d/facts.tsv');
  const wrk: Wrk[] = existsSync(facts)
    ? readFileSync(facts, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith(`${target}\twrk\t`))
        .map((l) => JSON.parse(l.split('\t')[2] ?? '{}'))
    : [];
  const scenarios = Object.entries<Scenario>(t.scenarios).map(([name, s]) => {
    if (typeof s.cpu_us_per_req !== 'number' || typeof s.p50_ms !== 'number') {
      throw new Error(`has no CPU time or latency for the scenario "${name}"`);
    }
    // the raw record of the round the harness kept: the one whose req/s is the scenario's
    const round = s.rounds?.find((r) => r.rps === s.rps)?.round;
    const raw = wrk.find((w) => w.scenario === name && w.round === round)?.wrk?.latency_us;
    return {
      name,
      cpu_us: s.cpu_us_per_req,
      mean_ms: raw ? raw.mean / 1000 : null,
      p50_ms: s.p50_ms,
      p90_ms: raw ? raw.p90 / 1000 : null,
      p99_ms: s.p99_ms,
      rss_mb: s.rss_after_mb,
    };
  });
  return {
    date: String(results.meta?.date ?? 'an unknown date'),
    cold_start_ms: (t.cold_start_ms?.median ?? null) as number | null,
    rss_peak_mb: t.rss_peak_mb as number,
    scenarios,
  };
}
