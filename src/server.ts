// Entry point. Before anything else loads, it turns on Node's compile cache:
// parsing the bundle is the largest single cost of a cold start, and the
// build (scripts/build.ts, and the image build) leaves V8's code cache for it
// in dist/.cache. Where that folder is read-only (the image runs as non-root)
// the cache is still read; where it is missing, Node compiles as usual.
//
//   node dist/server.js                       serve
//   node dist/server.js --warm-compile-cache  fill the cache and exit
import { constants, enableCompileCache, flushCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';

const cacheDir = fileURLToPath(new URL('./.cache', import.meta.url));
const warm = process.argv.includes('--warm-compile-cache');
const { status } = enableCompileCache(cacheDir);

const { main, warmUp } = await import('./main.ts');
if (warm) {
  await warmUp();
  flushCompileCache();
  console.log(
    status === constants.compileCacheStatus.FAILED
      ? 'compile cache unavailable here'
      : `compile cache written to ${cacheDir}`,
  );
} else {
  await main();
}
