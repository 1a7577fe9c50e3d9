// HTTP for items: the schemas validate and document, the service does the
// work, and a missing item becomes the 404 here.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ApiError, ErrorBody } from '../errors/api-error.ts';
import { Count, CountQuery, Item, ItemCreate, ItemId, ItemUpdate, ListQuery } from './schemas.ts';
import type { ItemsService } from './service.ts';

const error = (description: string) => ({ ...Type.Ref(ErrorBody), description });
const invalid = error('Validation failed: `details` names each failing field');
const notFound = error('No item with that id');
const unavailable = error('The database is unreachable; retry later');
const tags = ['items'];
// What a credential needs for each route (src/auth/plugin.ts): reading, and changing.
const read = { scope: 'items:read' };
const write = { scope: 'items:write' };

const notFoundError = (id: string) =>
  new ApiError(404, `Item with id '${id}' not found`, { item_id: id });

function found<T>(item: T | undefined, id: string): T {
  if (item === undefined) throw notFoundError(id);
  return item;
}

export const itemsRoutes: FastifyPluginAsyncTypebox<{ service: ItemsService }> = async (
  app,
  { service },
) => {
  app.post(
    '',
    {
      config: write,
      schema: {
        tags,
        summary: 'Create an item',
        body: ItemCreate,
        response: {
          201: { ...Type.Ref(Item), description: 'The new item' },
          422: invalid,
          503: unavailable,
        },
      },
    },
    async (request, reply) => reply.code(201).send(await service.create(request.body)),
  );

  app.get(
    '',
    {
      config: read,
      schema: {
        tags,
        summary: 'List items, newest first',
        querystring: ListQuery,
        response: {
          200: Type.Array(Type.Ref(Item), {
            description: 'Newest first; the later insert first on ties',
          }),
          422: invalid,
          503: unavailable,
        },
      },
    },
    (request) => service.list(request.query),
  );

  // Registered before /:id so that "stats" is never read as an id.
  app.get(
    '/stats/count',
    {
      config: read,
      schema: {
        tags,
        summary: 'Count items',
        querystring: CountQuery,
        response: { 200: Count, 422: invalid, 503: unavailable },
      },
    },
    async (request) => ({ count: await service.count(request.query.available_only) }),
  );

  app.get(
    '/:id',
    {
      config: read,
      schema: {
        tags,
        summary: 'Get an item',
        params: ItemId,
        response: {
          200: { ...Type.Ref(Item), description: 'The item' },
          404: notFound,
          503: unavailable,
        },
      },
    },
    async (request) => found(await service.get(request.params.id), request.params.id),
  );

  app.patch(
    '/:id',
    {
      config: write,
      schema: {
        tags,
        summary: 'Update an item',
        params: ItemId,
        body: ItemUpdate,
        response: {
          200: { ...Type.Ref(Item), description: 'The item as it is now' },
          404: notFound,
          422: invalid,
          503: unavailable,
        },
      },
    },
    async (request) =>
      found(await service.update(request.params.id, request.body), request.params.id),
  );

  app.delete(
    '/:id',
    {
      config: write,
      schema: {
        tags,
        summary: 'Delete an item',
        params: ItemId,
        response: { 204: Type.Null({ description: 'Deleted' }), 404: notFound, 503: unavailable },
      },
    },
    async (request, reply) => {
      if (!(await service.remove(request.params.id))) throw notFoundError(request.params.id);
      return reply.code(204).send(null);
    },
  );
};
