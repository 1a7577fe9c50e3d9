// OpenAPI 3.1 at /openapi.json, Swagger UI at /docs and Redoc at /redoc, all
// served from this process (no CDN), so the docs work offline and behind a
// firewall. The document is built from the routes' own schemas.
//
// Docs are read by people, rarely, and the libraries behind them are a third
// of the bundle. So the app only records its routes here; the first request
// for the docs builds a small Fastify instance with @fastify/swagger and
// @fastify/swagger-ui over the same routes, and later requests are handed to
// it. Cold start, paid on every scale-up, does not carry them: ~20 ms less
// than registering them on the app (docs/performance.md).
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/env.ts';
import type { DocsApp } from './docs-app.ts';

const DOCS_PATHS = ['/openapi.json', '/docs', '/docs/*', '/redoc', '/redoc/*'];
// Hop-by-hop headers of the inner response; the outer one sets its own.
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date']);

export default fp<{ config: Config }>(
  async (app: FastifyInstance, { config }) => {
    const routes: RouteOptions[] = [];
    app.addHook('onRoute', (route) => {
      // HEAD routes are Fastify's automatic twins of the GET ones.
      if (route.method !== 'HEAD' && !route.schema?.hide && !DOCS_PATHS.includes(route.url))
        routes.push(route);
    });

    let docs: Promise<DocsApp> | undefined;
    const load = () => {
      docs ??= import('./docs-app.ts').then(({ buildDocsApp }) =>
        buildDocsApp(config, routes, Object.values(app.getSchemas())),
      );
      // A failed build is retried on the next request rather than cached.
      docs.catch(() => {
        docs = undefined;
      });
      return docs;
    };

    async function forward(request: FastifyRequest, reply: FastifyReply) {
      const inner = await load();
      const res = await inner.inject({
        method: 'GET',
        url: request.url,
        headers: { accept: request.headers.accept ?? '*/*' },
      });
      for (const [name, value] of Object.entries(res.headers)) {
        if (!HOP.has(name) && value !== undefined) reply.header(name, value);
      }
      return reply.code(res.statusCode).send(res.rawPayload);
    }

    for (const url of DOCS_PATHS)
      app.get(url, { config: { public: true }, schema: { hide: true } }, forward);
  },
  { name: 'docs' },
);
