// Traffic shapes: relative request counts per hour over a day (24 values) or
// a week (168), repeated over the month. Only the proportions matter: the
// month's total comes from --requests-per-month.
import { readFileSync } from 'node:fs';

export const SHAPES: Record<string, number[]> = {
  steady: Array(24).fill(1),
  // An office-hours API: quiet nights, a morning ramp, a plateau from 9 to 17
  // at four times the night rate, a slower evening decline.
  diurnal: [1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3, 2, 2, 1, 1],
  // A steady trickle with two one-hour bursts a day (a batch job, a
  // newsletter) at twenty times the base rate.
  bursty: [1, 1, 1, 1, 1, 1, 1, 1, 1, 20, 1, 1, 1, 1, 1, 1, 1, 20, 1, 1, 1, 1, 1, 1],
};

/** Reads 24 or 168 hourly counts: one per line, either "120" or "hour,120"; a header line is skipped. */
export function readProfileFile(path: string): number[] {
  const lines = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const last = (line: string) => line.split(',').at(-1)?.trim() ?? '';
  if (lines.length > 0 && Number.isNaN(Number(last(lines[0] ?? '')))) lines.shift();
  const counts = lines.map((line, i) => {
    const n = Number(last(line));
    if (last(line) === '' || !Number.isFinite(n) || n < 0) {
      throw new Error(`line ${i + 1} "${line}" is not a request count`);
    }
    return n;
  });
  if (counts.length !== 24 && counts.length !== 168) {
    throw new Error(`has ${counts.length} hourly counts, not 24 or 168`);
  }
  if (counts.every((n) => n === 0)) throw new Error('has no requests in any hour');
  return counts;
}
