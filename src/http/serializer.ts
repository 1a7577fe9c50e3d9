// Responses are serialized by fast-json-stringify from the routes' schemas,
// as Fastify does by default; the one change is that each serializer is
// built on its route's first response instead of at start (see the
// validator compiler in ./validation.ts for why).
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifySerializerCompiler } from 'fastify';

/** `schemas` gives the shared schemas ($id) that response schemas refer to. */
export function createSerializerCompiler(
  schemas: () => Record<string, unknown>,
): FastifySerializerCompiler<unknown> {
  let build: ReturnType<ReturnType<typeof SerializerSelector>> | undefined;
  return (route) => {
    let serialize: ((data: unknown) => string) | undefined;
    return (data) => {
      build ??= SerializerSelector()(schemas());
      serialize ??= build({ ...route, httpStatus: route.httpStatus ?? 'default' });
      return serialize(data);
    };
  };
}
