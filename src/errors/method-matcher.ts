// Fastify answers a known path with an unknown method as a plain 404. To give
// the 405 (with Allow) that HTTP asks for, the routes are mirrored into a
// router of their own, consulted only on the not-found path.
import type { FastifyInstance } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';

export function createMethodMatcher(app: FastifyInstance) {
  const router = FindMyWay({
    ignoreTrailingSlash: app.initialConfig.routerOptions?.ignoreTrailingSlash ?? false,
  });
  const registered = new Set<HTTPMethod>();
  app.addHook('onRoute', (route) => {
    const list = (Array.isArray(route.method) ? route.method : [route.method]) as HTTPMethod[];
    for (const method of list) {
      registered.add(method);
      if (!router.hasRoute(method, route.url)) router.on(method, route.url, () => {});
    }
  });
  return {
    allowed(path: string): string[] {
      return [...registered].filter((m) => router.find(m, path) !== null).sort();
    },
  };
}
