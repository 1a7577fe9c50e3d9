// Trace context from the headers Cloud Run's front end sets, so that log lines
// of one request group under its trace in Cloud Logging.

export interface TraceContext {
  traceId: string;
  spanId: string | undefined;
  sampled: boolean;
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;
const CLOUD_TRACE = /^([\da-f]{32})(?:\/(\d{1,20}))?(?:;o=([01]))?$/i;

type Headers = Record<string, string | string[] | undefined>;

/** W3C `traceparent` first (the standard), then the older `X-Cloud-Trace-Context`. */
export function parseTraceContext(headers: Headers): TraceContext | undefined {
  const tp = headers.traceparent;
  if (typeof tp === 'string') {
    const m = TRACEPARENT.exec(tp.trim().toLowerCase());
    if (m?.[1] && m[2] && !/^0+$/.test(m[1])) {
      return { traceId: m[1], spanId: m[2], sampled: (Number.parseInt(m[3] ?? '0', 16) & 1) === 1 };
    }
  }
  const xc = headers['x-cloud-trace-context'];
  if (typeof xc === 'string') {
    const m = CLOUD_TRACE.exec(xc.trim());
    if (m?.[1]) {
      // The legacy header carries the span id in decimal; Cloud Logging wants 16 hex digits.
      const spanId = m[2] ? BigInt(m[2]).toString(16).padStart(16, '0').slice(-16) : undefined;
      return { traceId: m[1].toLowerCase(), spanId, sampled: m[3] === '1' };
    }
  }
  return undefined;
}

/** The special fields Cloud Logging reads to link a log entry to its trace. */
export function traceLogFields(project: string, ctx: TraceContext): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    'logging.googleapis.com/trace': `projects/${project}/traces/${ctx.traceId}`,
    'logging.googleapis.com/trace_sampled': ctx.sampled,
  };
  if (ctx.spanId) fields['logging.googleapis.com/spanId'] = ctx.spanId;
  return fields;
}
