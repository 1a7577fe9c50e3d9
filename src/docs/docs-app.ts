// The documentation server: built on the first request for the docs (see
// ./plugin.ts), over copies of the app's routes with no handlers.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { securitySchemes } from '../auth/openapi.ts';
import type { Config } from '../config/env.ts';
import { redocPage } from './redoc-page.ts';

export type DocsApp = FastifyInstance;

// The production bundle carries the UI assets in dist/static (see
// scripts/build.ts); from the sources they come from node_modules.
function bundledAsset(name: string): string | undefined {
  const path = fileURLToPath(new URL(`./static/${name}`, import.meta.url));
  return existsSync(path) ? path : undefined;
}

function redocScript(): string {
  return (
    bundledAsset('redoc.standalone.js') ??
    createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js')
  );
}

export async function buildDocsApp(
  config: Config,
  routes: RouteOptions[],
  schemas: unknown[],
): Promise<DocsApp> {
  const docs = Fastify({ logger: false });
  // Its routes only describe; nothing is validated or serialized through them.
  docs.setValidatorCompiler(() => () => true);
  docs.setSerializerCompiler(() => (data) => JSON.stringify(data));
  for (const schema of schemas) docs.addSchema(schema);
  await docs.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: config.appName,
        version: config.appVersion,
        description:
          'Every error, whatever its status, has the body `{"error", "details", "path"}`; ' +
          'validation errors (422) name each failing field in `details`.',
      },
      tags: [
        { name: 'items', description: 'The items resource' },
        { name: 'operations', description: 'Health, readiness and service information' },
      ],
      components: { securitySchemes: securitySchemes(config) as never },
    },
    // Shared schemas appear under their own names in components.schemas.
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`),
    },
  });
  const baseDir = bundledAsset('swagger-ui');
  await docs.register(swaggerUi, {
    routePrefix: '/docs',
    // In the bundle the plugin cannot find its own folder; point it at the copy.
    ...(baseDir
      ? { baseDir, logo: { type: 'image/svg+xml', content: await readFile(`${baseDir}/logo.svg`) } }
      : {}),
    uiConfig: { deepLinking: true, tryItOutEnabled: true },
  });
  for (const route of routes) {
    docs.route({
      method: route.method,
      url: route.url,
      schema: route.schema ?? {},
      handler: async () => null,
    });
  }

  const script = await readFile(redocScript());
  docs.get('/openapi.json', { schema: { hide: true } }, async () => docs.swagger());
  docs.get('/redoc', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(redocPage(config.appName)),
  );
  docs.get('/redoc/redoc.standalone.js', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .send(script),
  );
  await docs.ready();
  return docs;
}
