// The documentation pages as a person sees them: a headless Chromium loads
// /docs and /redoc from the service alone (it reaches no other host) and the
// pages show every operation. Needs Debian's chromium; .ci/run installs it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { testApp } from '../helpers/app.ts';
import { pglite } from '../helpers/database.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/**
 * The page's DOM after its scripts ran. Chromium runs as a child process (the
 * server is in this one, so nothing here may block), with no network but
 * the loopback: a page that needed a CDN would come out empty.
 */
async function render(url: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    CHROMIUM as string,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${mkdtempSync(join(tmpdir(), 'runway-chromium-'))}`,
      '--virtual-time-budget=15000',
      '--dump-dom',
      url,
    ],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}

/** Scripts, styles and images that the page loads from anywhere but `base`. */
function foreignAssets(dom: string, base: string): string[] {
  return [...dom.matchAll(/<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]+)"/g)]
    .map((m) => m[1] as string)
    .filter((u) => /^(https?:)?\/\//.test(u) && !u.startsWith(base));
}

describe('docs in a browser', { skip: CHROMIUM ? false : 'chromium is not installed' }, () => {
  let app: FastifyInstance;
  let base: string;
  before(async () => {
    ({ app } = await testApp(await pglite.open(), { APP_NAME: 'Docs Test' }));
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(() => app.close());

  const operations: [string, string][] = [
    ['post', '/api/v1/items'],
    ['get', '/api/v1/items'],
    ['get', '/api/v1/items/stats/count'],
    ['get', '/api/v1/items/{id}'],
    ['patch', '/api/v1/items/{id}'],
    ['delete', '/api/v1/items/{id}'],
    ['get', '/ready'],
  ];

  test('Swagger UI at /docs lists every operation, from local assets only', async () => {
    const dom = await render(`${base}/docs`);
    assert.match(dom, /Docs Test/);
    for (const [method, path] of operations) {
      assert.match(
        dom,
        new RegExp(`opblock-${method}[\\s\\S]*?data-path="${path.replace(/[{}]/g, '\\$&')}"`),
        `${method} ${path}`,
      );
    }
    assert.deepEqual(foreignAssets(dom, base), []);
  });

  test('Redoc at /redoc renders the reference, from local assets only', async () => {
    const dom = await render(`${base}/redoc`);
    for (const summary of [
      'Create an item',
      'List items, newest first',
      'Get an item',
      'Update an item',
      'Delete an item',
      'Count items',
    ]) {
      assert.ok(dom.includes(summary), summary);
    }
    assert.match(dom, /Validation failed/);
    assert.deepEqual(foreignAssets(dom, base), []);
  });
});
