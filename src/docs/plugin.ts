// OpenAPI 3.1 at /openapi.json, Swagger UI at /docs and Redoc at /redoc, all
// served from this process (no CDN), so the docs work offline and behind a
// firewall. The document is built from the routes' own schemas.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/env.ts';
import { redocPage } from './redoc-page.ts';

// The production bundle carries the UI assets in dist/static (see scripts/build.ts);
// from the sources they come from node_modules.
function bundledAsset(name: string): string | undefined {
  const path = fileURLToPath(new URL(`./static/${name}`, import.meta.url));
  return existsSync(path) ? path : undefined;
}

function redocScript(): string {
  return bundledAsset('redoc.standalone.js') ?? createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js');
}

export default fp<{ config: Config }>(
  async (app: FastifyInstance, { config }) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: config.appName,
          version: config.appVersion,
          description: 'Items API. Every error has the body `{"error", "details", "path"}`.',
        },
        tags: [
          { name: 'items', description: 'The items resource' },
          { name: 'operations', description: 'Health, readiness and service information' },
        ],
      },
      refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
    });
    const baseDir = bundledAsset('swagger-ui');
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      ...(baseDir ? { baseDir } : {}),
      uiConfig: { deepLinking: true, tryItOutEnabled: true },
    });

    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

    let script: Promise<Buffer> | undefined;
    app.get('/redoc', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(redocPage(config.appName)),
    );
    app.get('/redoc/redoc.standalone.js', { schema: { hide: true } }, async (_request, reply) => {
      script ??= readFile(redocScript());
      return reply.type('application/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(await script);
    });
  },
  { name: 'docs' },
);
