// Tracing off (the default): the process loads no OpenTelemetry module, from
// the sources or from the production bundle.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startServer } from '../helpers/process.ts';
import { otlpReceiver } from './otlp-receiver.ts';

const uuid = '00000000-0000-4000-8000-000000000000';

/** Starts `entry`, sends a request that queries the database, stops it: the modules it loaded. */
async function modulesLoaded(entry: string, env: Record<string, string> = {}): Promise<string[]> {
  const file = join(mkdtempSync(join(tmpdir(), 'tracing-off-')), 'modules.txt');
  const server = await startServer(
    {
      ENVIRONMENT: 'test',
      PGLITE_DIR: 'memory://',
      AUTH_DISABLED: 'true',
      NODE_OPTIONS: '--import ./test/tracing/loaded-modules.ts',
      LOADED_MODULES_FILE: file,
      ...env,
    },
    { entry },
  );
  const res = await fetch(`http://127.0.0.1:${server.port}/api/v1/items/${uuid}`, {
    headers: { traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` },
  });
  assert.equal(res.status, 404);
  server.child.kill('SIGTERM');
  assert.equal((await server.exited).code, 0);
  return readFileSync(file, 'utf8').split('\n');
}

test('from the sources, no OpenTelemetry module is loaded', async () => {
  const loaded = await modulesLoaded('src/server.ts');
  assert.ok(loaded.some((url) => url.endsWith('/src/app.ts')));
  assert.deepEqual(
    loaded.filter((url) => url.includes('/@opentelemetry/')),
    [],
  );
});

test('the production bundle starts without the tracing chunk, and loads it when tracing is on', async () => {
  execFileSync(process.execPath, ['scripts/build.ts'], { stdio: 'ignore' });
  const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
  // The SDK's span processor names the chunk that holds it.
  const tracingChunks = readdirSync(dist)
    .filter((f) => f.endsWith('.js'))
    .filter((f) => readFileSync(join(dist, f), 'utf8').includes('BatchSpanProcessorBase=class'))
    .map((f) => new URL(f, `file://${dist}`).href);
  assert.equal(tracingChunks.length, 1);

  const off = await modulesLoaded('dist/server.js');
  assert.ok(off.some((url) => url.endsWith('/dist/server.js')));
  assert.deepEqual(
    off.filter((url) => tracingChunks.includes(url) || url.includes('/@opentelemetry/')),
    [],
  );

  const receiver = await otlpReceiver();
  try {
    const on = await modulesLoaded('dist/server.js', {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    });
    assert.ok(on.some((url) => tracingChunks.includes(url)));
    assert.ok(receiver.spans.some((s) => s.name === 'GET /api/v1/items/:id'));
  } finally {
    await receiver.close();
  }
});
