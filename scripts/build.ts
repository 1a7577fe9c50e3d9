// Production build: one ESM bundle per entry point in dist/, plus the docs'
// browser assets, so the image needs no node_modules at all. Bundling also
// cuts cold start: Node reads a few files instead of hundreds.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
const out = 'dist';

rmSync(out, { recursive: true, force: true });
const result = await build({
  entryPoints: { server: 'src/server.ts', migrate: 'src/migrate.ts' },
  outdir: out,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minifySyntax: true,
  minifyWhitespace: true,
  // Identifiers are not minified, so stack traces stay readable without the
  // source maps. No keepNames: it wraps every function that the bundle
  // creates at run time in a call that sets its name, which costs 10 to 20 %
  // of the CPU of a request (docs/performance.md).
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
  legalComments: 'linked',
  // Dev-only or optional: PGlite is never loaded by a production start,
  // pino-pretty only on a terminal, pg-native only if installed.
  external: ['@electric-sql/pglite', 'pino-pretty', 'pg-native'],
  // CommonJS dependencies inside an ES module still ask for these.
  banner: {
    js: [
      "import { createRequire as __runwayCreateRequire } from 'node:module';",
      "import { fileURLToPath as __runwayFileURLToPath } from 'node:url';",
      'const require = __runwayCreateRequire(import.meta.url);',
      'const __filename = __runwayFileURLToPath(import.meta.url);',
      "const __dirname = __runwayFileURLToPath(new URL('.', import.meta.url));",
    ].join('\n'),
  },
  logLevel: 'warning',
});

// Swagger UI's and Redoc's browser files, served by /docs and /redoc.
mkdirSync(join(out, 'static'), { recursive: true });
cpSync(
  join(dirname(require.resolve('@fastify/swagger-ui/package.json')), 'static'),
  join(out, 'static', 'swagger-ui'),
  {
    recursive: true,
  },
);
cpSync(
  require.resolve('redoc/bundles/redoc.standalone.js'),
  join(out, 'static', 'redoc.standalone.js'),
);

// V8's code cache for the bundle, made by the Node that will run it (the
// image build does it again with the runtime image's own Node).
const warm = spawnSync(process.execPath, [join(out, 'server.js'), '--warm-compile-cache'], {
  stdio: 'inherit',
});
if (warm.status !== 0) throw new Error('warming the compile cache failed');
// Readable by the image's non-root user, whoever built it.
for (const file of readdirSync(join(out, '.cache'), { recursive: true, withFileTypes: true })) {
  chmodSync(join(file.parentPath, file.name), file.isDirectory() ? 0o755 : 0o644);
}

const bytes = Object.entries(result.metafile.outputs)
  .filter(([file]) => file.endsWith('.js'))
  .reduce((sum, [, o]) => sum + o.bytes, 0);
console.log(
  `built ${out}/server.js and ${out}/migrate.js (${(bytes / 1024).toFixed(0)} KiB of JavaScript)`,
);
