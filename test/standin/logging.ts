// Cloud Logging v2 for the stand-in: entries:list, which `gcloud logging read`
// calls. Other modules write entries with writeLog (Cloud Run writes what its
// containers print); the filter is evaluated for the forms runway sends:
// comparisons joined by AND. Anything else is a 400, so a filter the stand-in
// cannot judge fails loudly instead of matching everything.
import { type Api, googleError, type Standin } from './server.ts';

export interface LogEntry {
  logName: string;
  resource: { type: string; labels: Record<string, string> };
  timestamp: string;
  severity: string;
  textPayload?: string;
  jsonPayload?: Record<string, unknown>;
  labels?: Record<string, string>;
  insertId?: string;
}

export function writeLog(s: Standin, entry: LogEntry): void {
  s.state.logging ??= { entries: [] as LogEntry[] };
  s.state.logging.entries.push({ insertId: `e${s.state.logging.entries.length}`, ...entry });
}

// `field op "value"`, where field is a dotted path whose parts may be quoted
// (labels."run.googleapis.com/execution_name").
const COMPARISON = /^((?:[\w]+|"[^"]+")(?:\.(?:[\w]+|"[^"]+"))*)\s*(>=|<=|=|>|<)\s*"([^"]*)"$/;

function matcher(filter: string): ((e: LogEntry) => boolean) | string {
  const tests: Array<(e: LogEntry) => boolean> = [];
  for (const part of filter.trim() ? filter.split(/\s+AND\s+/) : []) {
    const m = COMPARISON.exec(part.trim());
    if (!m) return part;
    const path = (m[1] as string).match(/[\w]+|"[^"]+"/g)?.map((p) => p.replaceAll('"', '')) ?? [];
    const [op, value] = [m[2], m[3] as string];
    tests.push((e) => {
      let v: unknown = e;
      for (const p of path) v = (v as Record<string, unknown> | undefined)?.[p];
      if (typeof v !== 'string') return false;
      if (op === '=') return v === value;
      if (op === '>=') return v >= value;
      if (op === '<=') return v <= value;
      return op === '>' ? v > value : v < value;
    });
  }
  return (e) => tests.every((t) => t(e));
}

export const logging: Api = (s) => [
  [
    'POST',
    /^\/v2\/entries:list$/,
    (req) => {
      const match = matcher(req.body?.filter ?? '');
      if (typeof match === 'string')
        return googleError(400, `The stand-in cannot evaluate the filter term: ${match}`);
      const projects = (req.body?.resourceNames ?? []) as string[];
      const desc = /timestamp desc/i.test(req.body?.orderBy ?? '');
      // In the order they were written where timestamps are equal, as their insertIds are.
      const entries = ((s.state.logging?.entries ?? []) as LogEntry[])
        .filter((e) => projects.some((p) => e.logName.startsWith(`${p}/logs/`)) && match(e))
        .map((e, i) => ({ e, i }))
        .sort((a, b) => (desc ? -1 : 1) * (a.e.timestamp.localeCompare(b.e.timestamp) || a.i - b.i))
        .map(({ e }) => e)
        .slice(0, req.body?.pageSize ?? 1000);
      return { body: { entries } };
    },
  ],
];
