// Fastify answers a known path with an unknown method as a plain 404. To give
// the 405 (with Allow) that HTTP asks for, the routes are mirrored into a
// router of their own, consulted only on the not-found path. Each remembers
// whether it needs a credential (src/auth/plugin.ts), so that the methods of
// a guarded path are not listed to a caller without one.
import type { FastifyInstance } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { guarded } from '../auth/plugin.ts';

export function createMethodMatcher(app: FastifyInstance) {
  const router = FindMyWay({
    ignoreTrailingSlash: app.initialConfig.routerOptions?.ignoreTrailingSlash ?? false,
  });
  const registered = new Set<HTTPMethod>();
  app.addHook('onRoute', (route) => {
    const list = (Array.isArray(route.method) ? route.method : [route.method]) as HTTPMethod[];
    for (const method of list) {
      registered.add(method);
      if (!router.hasRoute(method, route.url))
        router.on(method, route.url, () => {}, { guarded: guarded(route) });
    }
  });
  return {
    /** The methods served at `path`, and whether every one of them needs a credential. */
    allowed(path: string): { methods: string[]; guarded: boolean } {
      const methods: string[] = [];
      let guarded = true;
      for (const m of registered) {
        const found = router.find(m, path);
        if (!found) continue;
        methods.push(m);
        guarded &&= (found.store as { guarded: boolean }).guarded;
      }
      return { methods: methods.sort(), guarded };
    },
  };
}
