// Responses are serialized by fast-json-stringify from the routes' schemas,
// as Fastify does by default; the one change is that each serializer is
// built on its route's first response instead of at start (see the
// validator compiler in ./validation.ts for why).
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type BuildSerializer = NonNullable<
  NonNullable<
    NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
  >['buildSerializer']
>;

export const buildLazySerializer: BuildSerializer = (externalSchemas, options) => {
  const compile = SerializerSelector()(externalSchemas as never, options as never);
  return (route) => {
    let serialize: ((data: unknown) => string) | undefined;
    return (data: unknown) => {
      serialize ??= compile(route as never) as (data: unknown) => string;
      return serialize(data);
    };
  };
};
