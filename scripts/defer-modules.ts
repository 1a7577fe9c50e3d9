// An esbuild plugin for the production build (scripts/build.ts): Fastify's
// server module loads node:http2 and node:https when it is loaded, for the
// HTTP/2 and TLS servers it creates only when asked to (`http2`, `https`
// options). Loading the two costs ~15 ms of every cold start, in a service
// that serves plain HTTP/1.1 behind Cloud Run's front end; in the bundle
// they load on first use instead. Nothing else changes: the same functions
// are called with the same arguments.
import { readFileSync } from 'node:fs';
import type { Plugin } from 'esbuild';

const DEFERRED: Record<string, string[]> = {
  https: ['createServer'],
  http2: ['createServer', 'createSecureServer'],
};

export const deferFastifyServerModules: Plugin = {
  name: 'defer-fastify-server-modules',
  setup(build) {
    build.onLoad({ filter: /[\\/]fastify[\\/]lib[\\/]server\.js$/ }, (args) => {
      let source = readFileSync(args.path, 'utf8');
      for (const [name, functions] of Object.entries(DEFERRED)) {
        const eager = `const ${name} = require('node:${name}')`;
        // Any other use of the module would break; a Fastify upgrade that adds one fails the build.
        const code = source.replace(/^\s*(\/\/|\/?\*).*$/gm, ''); // JSDoc names types like http2.Http2Server
        const used = new Set(
          [...code.matchAll(new RegExp(`\\b${name}\\.(\\w+)`, 'g'))].map((m) => m[1]),
        );
        const unknown = [...used].filter((f) => f && !functions.includes(f));
        if (!source.includes(eager) || unknown.length > 0) {
          throw new Error(`${args.path}: cannot defer node:${name} (uses ${[...used].join(', ')})`);
        }
        const lazy = functions.map(
          (f) => `${f}: (...args) => require('node:${name}').${f}(...args)`,
        );
        source = source.replace(eager, `const ${name} = { ${lazy.join(', ')} }`);
      }
      return { contents: source, loader: 'js' };
    });
  },
};
