// One handler turns every error, the framework's own included, into the
// error body; database errors are mapped here and nowhere else. A 500 tells
// the client nothing of the internals and logs the stack instead.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { drainBody } from '../http/oversized-body.ts';
import { fieldErrors } from '../http/validation.ts';
import { ApiError, type ErrorBody } from './api-error.ts';
import { mapDatabaseError } from './database-errors.ts';
import { createMethodMatcher } from './method-matcher.ts';

export function requestPath(request: FastifyRequest): string {
  const url = request.raw.url ?? request.url;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function sendError(
  reply: FastifyReply,
  status: number,
  error: string,
  details: Record<string, unknown> = {},
): FastifyReply {
  const body: ErrorBody = { error, details, path: requestPath(reply.request) };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** Errors raised by Fastify itself before a handler runs, and what the client is told. */
const FRAMEWORK_ERRORS: Record<
  string,
  { status: number; error: string; details?: Record<string, string> }
> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    error: 'Unsupported media type: send application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    error: 'Content-Length does not match the body',
  },
  // A body that is not a JSON object fails validation like a bad field: 422.
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 422,
    error: 'Validation failed',
    details: { body: 'must be a JSON object' },
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 422,
    error: 'Validation failed',
    details: { body: 'must be valid JSON' },
  },
};

function handleError(
  this: FastifyInstance,
  raw: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const err = mapDatabaseError(raw) as FastifyError | ApiError;
  if (err instanceof ApiError) {
    if (err.statusCode >= 500) request.log.warn({ err: raw }, err.message);
    reply.headers(err.headers);
    return sendError(reply, err.statusCode, err.message, err.details);
  }
  if (err.validation) {
    return sendError(
      reply,
      422,
      'Validation failed',
      fieldErrors(err.validation as never, err.validationContext),
    );
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return drainBody(request.raw).then(() => sendError(reply, 413, 'Request body too large'));
  }
  const known = err.code ? FRAMEWORK_ERRORS[err.code] : undefined;
  if (known) return sendError(reply, known.status, known.error, known.details);
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return sendError(reply, err.statusCode, err.message);
  }
  request.log.error({ err: raw }, 'unhandled error');
  return sendError(reply, 500, 'Internal server error');
}

export default fp<{ knownCaller: (request: FastifyRequest) => boolean }>(
  async (app: FastifyInstance, { knownCaller }) => {
    const methods = createMethodMatcher(app);
    app.setErrorHandler(handleError);
    app.setNotFoundHandler((request, reply) => {
      const { methods: allowed, guarded } = methods.allowed(requestPath(request));
      if (allowed.length === 0 || allowed.includes(request.method))
        return sendError(reply, 404, 'Not found');
      // What a guarded path serves is for callers with a credential to learn.
      if (guarded && !knownCaller(request))
        return sendError(reply, 405, `Method ${request.method} not allowed`);
      reply.header('allow', allowed.join(', '));
      return sendError(reply, 405, `Method ${request.method} not allowed`, { allowed });
    });
  },
  { name: 'error-handler' },
);
