// The OpenTelemetry SDK, set up by hand rather than by the Node SDK and its
// instrumentations: one server span per request, started where Node hands
// the request to Fastify, and one client span per database query, started in
// the database client's wrapper (src/db/observe.ts). Nothing is patched, so
// it works the same in the bundle, where require/import hooks would find no
// module to patch (docs/observability.md has the measurements).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import {
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_PATH,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { type Config, ConfigError } from '../config/env.ts';
import type { QueryTracer } from '../db/observe.ts';
import { parseTraceContext, type TraceContext } from '../logging/trace.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export const CLOUD_TRACE_ENDPOINT = 'https://telemetry.googleapis.com';

export interface Tracing {
  /** Runs each request that `server` hands to Fastify inside its server span. */
  traceRequests(server: Server): void;
  /** Names the server span after the route, once Fastify has found it. */
  onRequest: onRequestHookHandler;
  /** The ids of the request's server span, for its log lines (with a project: Cloud Logging's trace fields). */
  traceOf(req: IncomingMessage): TraceContext | undefined;
  traceQuery: QueryTracer;
  /** Exports the spans still buffered, within the exporter's time-out. */
  shutdown(): Promise<void>;
}

/**
 * How many requests a second a caller's "sampled" flag may have traced on
 * one instance. Past that the configured sampler decides, as for a request
 * without a caller: a client that sets the flag on everything cannot make
 * the service trace (and pay to export) every request.
 */
export const SAMPLED_CALLERS_PER_S = 10;

function withinBudget(perSecond: number, otherwise: Sampler): Sampler {
  let tokens = perSecond;
  let at = performance.now();
  return {
    shouldSample(...args) {
      const now = performance.now();
      tokens = Math.min(perSecond, tokens + ((now - at) / 1000) * perSecond);
      at = now;
      if (tokens < 1) return otherwise.shouldSample(...args);
      tokens -= 1;
      return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    },
    toString: () => `WithinBudget{${perSecond}/s, else ${otherwise}}`,
  };
}

function sampler(config: Config): Sampler {
  const [parentBased, root] = config.otelTracesSampler.startsWith('parentbased_')
    ? [true, config.otelTracesSampler.slice('parentbased_'.length)]
    : [false, config.otelTracesSampler];
  const rootSampler =
    root === 'always_on'
      ? new AlwaysOnSampler()
      : root === 'always_off'
        ? new AlwaysOffSampler()
        : new TraceIdRatioBasedSampler(config.otelTracesSamplerArg);
  return parentBased
    ? new ParentBasedSampler({
        root: rootSampler,
        remoteParentSampled: withinBudget(SAMPLED_CALLERS_PER_S, rootSampler),
      })
    : rootSampler;
}

async function googleHeaders(): Promise<Record<string, string>> {
  // Loaded at the first export, not at start: it is not on the cold start's path.
  const { GoogleAuth } = await import('google-auth-library');
  const auth = new GoogleAuth({ scopes: 'https://www.googleapis.com/auth/cloud-platform' });
  return Object.fromEntries(await auth.getRequestHeaders());
}

function exporter(config: Config, timeoutMillis: number): OTLPTraceExporter {
  if (!config.cloudTrace) {
    const base = config.otelExporterOtlpEndpoint ?? 'http://localhost:4318';
    return new OTLPTraceExporter({ url: `${base.replace(/\/$/, '')}/v1/traces`, timeoutMillis });
  }
  if (config.otelExporterOtlpEndpoint) {
    throw new ConfigError(
      'CLOUD_TRACE=true sends the traces to Cloud Trace: unset OTEL_EXPORTER_OTLP_ENDPOINT, or set CLOUD_TRACE=false',
    );
  }
  let headers: Promise<Record<string, string>> | undefined;
  return new OTLPTraceExporter({
    url: `${CLOUD_TRACE_ENDPOINT}/v1/traces`,
    timeoutMillis,
    // GoogleAuth caches the token and refreshes it before it expires.
    headers: () => (headers ??= googleHeaders().finally(() => (headers = undefined))),
  });
}

export function startTracing(config: Config): Tracing {
  const project = config.googleCloudProject;
  if (config.cloudTrace && !project) {
    throw new ConfigError(
      'CLOUD_TRACE=true needs GOOGLE_CLOUD_PROJECT, the project the traces belong to (example: GOOGLE_CLOUD_PROJECT=my-project)',
    );
  }
  // A hung receiver must not hold the shutdown up: a quarter of its budget.
  const timeoutMillis = Math.ceil(config.shutdownTimeoutMs / 4);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const provider = new TracerProvider({
    sampler: sampler(config),
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: config.otelServiceName ?? config.appName,
      [ATTR_SERVICE_VERSION]: config.appVersion,
      ...(config.cloudTrace && { 'gcp.project_id': project }),
    }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: exporter(config, timeoutMillis),
        exportTimeoutMillis: timeoutMillis,
      }),
    ],
  });
  const tracer = provider.getTracer(config.appName, config.appVersion);
  const spans = new WeakMap<IncomingMessage, Span>();

  /** The caller's span, from `traceparent` or else `X-Cloud-Trace-Context`. */
  function callerContext(req: IncomingMessage) {
    const caller = parseTraceContext(req.headers);
    if (!caller?.spanId) return ROOT_CONTEXT;
    return trace.setSpanContext(ROOT_CONTEXT, {
      traceId: caller.traceId,
      spanId: caller.spanId,
      traceFlags: caller.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
      isRemote: true,
    });
  }

  const SERVER = { kind: SpanKind.SERVER };
  function serve(handler: Handler): Handler {
    return (req, res) => {
      const parent = callerContext(req);
      // The sampler decides from the ids alone (parent-based, ratio, on or
      // off), so the attributes wait until the span is known to be recorded.
      const span = tracer.startSpan(req.method ?? 'HTTP', SERVER, parent);
      if (!span.isRecording()) {
        // Not sampled: no context and nothing to end; the span only lends its
        // ids to the log lines, which carry them only with a project.
        if (project) spans.set(req, span);
        return handler(req, res);
      }
      spans.set(req, span);
      span.setAttributes({
        [ATTR_HTTP_REQUEST_METHOD]: req.method,
        [ATTR_URL_PATH]: req.url?.split('?', 1)[0],
      });
      res.once('close', () => {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      });
      // The request runs in the span's context: Fastify's hooks in this call
      // or in promises made in it, and what follows the body too, which
      // Fastify's content-type parser resumes in the context it started in
      // (an AsyncResource). So the request's and response's EventEmitters
      // need no binding, which would wrap each listener they are given.
      context.with(trace.setSpan(parent, span), handler, undefined, req, res);
    };
  }

  return {
    traceRequests(server) {
      // Fastify's own handler, as Fastify set the server up (time-outs and all).
      for (const handler of server.listeners('request') as Handler[]) {
        server.removeListener('request', handler);
        server.on('request', serve(handler));
      }
    },

    onRequest(request: FastifyRequest, _reply, done) {
      const span = spans.get(request.raw);
      const route = span?.isRecording() && request.routeOptions.url;
      if (span && route) {
        span.updateName(`${request.method} ${route}`);
        span.setAttribute(ATTR_HTTP_ROUTE, route);
      }
      done();
    },

    traceOf(req) {
      const span = spans.get(req);
      if (!span) return undefined;
      const { traceId, spanId, traceFlags } = span.spanContext();
      return { traceId, spanId, sampled: (traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED };
    },

    traceQuery(sql, run) {
      const parent = context.active();
      // Only inside a request that is being recorded: no orphan spans for
      // the migrations at start, and no work for requests not sampled.
      if (!trace.getSpan(parent)?.isRecording()) return run();
      const operation = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'QUERY';
      const span = tracer.startSpan(
        operation,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
            [ATTR_DB_OPERATION_NAME]: operation,
            // Parameterized by drizzle: the values are never in the text.
            [ATTR_DB_QUERY_TEXT]: sql,
          },
        },
        parent,
      );
      return run().then(
        (result) => {
          span.end();
          return result;
        },
        (err: unknown) => {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
          throw err;
        },
      );
    },

    shutdown: () => provider.shutdown(),
  };
}
