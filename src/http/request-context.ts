// Per-request context: the request id (the caller's, or a new one) echoed in
// the response, the trace fields on every log line of the request, and the
// request log line in Cloud Logging's httpRequest shape.
//
// Cloud Run's probes are the exception: they read no id and log nothing, and
// the id, its header and a logger of their own were a tenth of a /live
// request's work (docs/performance.md), so they go without.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/env.ts';
import { PROBE_PATHS } from '../health/paths.ts';
import { parseTraceContext, type TraceContext, traceLogFields } from '../logging/trace.ts';

export const REQUEST_ID_HEADER = 'x-request-id';
// Accept the caller's id only when it is short and plain: it is echoed and logged.
const SAFE_ID = /^[\w.:/+=@-]{1,128}$/;
const PROBES = new Set<string | undefined>(Object.values(PROBE_PATHS));
const isProbe = (req: IncomingMessage) => PROBES.has(req.url);

/**
 * Fastify's own request lines ("incoming request", "request completed") are
 * replaced by one line per request in Cloud Logging's httpRequest shape.
 * Cloud Run already logs every request, so ours is a setting (ACCESS_LOG);
 * slow requests and server errors are always worth a line.
 */
class RequestLogController extends LogController {
  readonly #config: Config;

  constructor(config: Config) {
    super({ requestIdLogLabel: 'requestId' });
    this.#config = config;
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const ms = reply.elapsedTime;
    const status = reply.statusCode;
    const slow = ms >= this.#config.slowRequestMs;
    if (!this.#config.accessLog && !slow && status < 500 && !error) return;
    const level = status >= 500 || error ? 'error' : slow ? 'warn' : 'info';
    request.log[level](
      {
        ...(error ? { err: error } : {}),
        httpRequest: {
          requestMethod: request.method,
          requestUrl: request.url,
          status,
          latency: `${(ms / 1000).toFixed(3)}s`,
          userAgent: request.headers['user-agent'],
          remoteIp: request.ip,
          protocol: `HTTP/${request.raw.httpVersion}`,
          responseSize: reply.getHeader('content-length'),
        },
      },
      `${request.method} ${request.url} ${status} ${ms.toFixed(1)} ms`,
    );
  }
}

/**
 * Server options that give each request its id, its logger and its log line.
 * `traceOf` gives a request's own trace (its server span, with tracing on);
 * else the log lines carry the caller's, from the headers.
 */
export function requestContextOptions(
  config: Config,
  traceOf?: (req: IncomingMessage) => TraceContext | undefined,
): Partial<FastifyServerOptions> {
  // A new id is this process's random prefix and a counter: unique across
  // instances, and a fraction of the work of a UUID per request.
  const prefix = randomBytes(6).toString('base64url');
  let count = 0;
  return {
    logController: new RequestLogController(config),
    genReqId: (req: IncomingMessage) => {
      const given = req.headers[REQUEST_ID_HEADER];
      if (typeof given === 'string' && SAFE_ID.test(given)) return given;
      return `${prefix}-${(++count).toString(36)}`;
    },
    childLoggerFactory: (logger, bindings, options, rawReq) => {
      const req = rawReq as IncomingMessage;
      if (isProbe(req)) return logger;
      const project = config.googleCloudProject;
      const trace = project ? (traceOf?.(req) ?? parseTraceContext(req.headers)) : undefined;
      return logger.child(
        trace && project ? { ...bindings, ...traceLogFields(project, trace) } : bindings,
        options,
      );
    },
  };
}

/** Echoes the request id, so a client can quote it when reporting a problem. */
export default fp(
  async (app: FastifyInstance) => {
    app.addHook('onRequest', (request, reply, done) => {
      if (!isProbe(request.raw)) reply.header(REQUEST_ID_HEADER, request.id);
      done();
    });
  },
  { name: 'request-context' },
);
