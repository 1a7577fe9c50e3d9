// The documentation pages as a person sees them: a headless Chromium loads
// /docs and /redoc from the service alone (it reaches no other host) and the
// pages show every operation. Needs Debian's chromium; .ci/run installs it.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { createKeyStore } from '../../src/auth/keys.ts';
import { testApp } from '../helpers/app.ts';
import { pglite } from '../helpers/database.ts';

const PEPPER = 'docs-test-pepper-of-at-least-thirty-two-characters';
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

/**
 * Clicks through Swagger UI as a person does: Authorize, paste `key` into
 * the API key field, then "Execute" on one operation; gives
 * the status the page shows. Chromium is driven over its DevTools protocol.
 */
async function authorizeAndExecute(url: string, key: string, path: string): Promise<string> {
  const chromium = spawn(
    CHROMIUM as string,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      `--user-data-dir=${mkdtempSync(join(tmpdir(), 'runway-chromium-'))}`,
      '--remote-debugging-port=0',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let err = '';
      chromium.stderr.on('data', (d) => {
        err += d;
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m) resolve(m[1] as string);
      });
      chromium.on('exit', () => reject(new Error(`chromium exited: ${err}`)));
    });
    const ws = new WebSocket(endpoint);
    await new Promise((r) => ws.addEventListener('open', r, { once: true }));
    let id = 0;
    const send = (method: string, params: object, sessionId?: string) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const mine = ++id;
        const onMessage = (e: MessageEvent) => {
          const msg = JSON.parse(String(e.data));
          if (msg.id !== mine) return;
          ws.removeEventListener('message', onMessage);
          if (msg.error) reject(new Error(JSON.stringify(msg.error)));
          else resolve(msg.result);
        };
        ws.addEventListener('message', onMessage);
        ws.send(JSON.stringify({ id: mine, method, params, ...(sessionId ? { sessionId } : {}) }));
      });
    const { targetId } = await send('Target.createTarget', { url });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    // Runs in the page; plain JavaScript, as the browser reads it.
    const PAGE = `async (key, path) => {
      const until = async (find, what = String(find)) => {
        for (const end = Date.now() + 20000; Date.now() < end; ) {
          const found = find();
          if (found) return found;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error('not found: ' + what + ' in ' + document.body.innerText.slice(0, 400));
      };
      const click = async (selector) =>
        (await until(() => document.querySelector(selector), selector)).click();
      await click('.btn.authorize');
      const input = await until(() => document.querySelector('.modal-ux form input'));
      // A React input: set the value as the browser would, then announce it.
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(input, key);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      await click('.modal-ux form button[type=submit]');
      await click('.modal-ux .btn-done, .modal-ux .close-modal');
      // React re-renders the operation as it opens: find it afresh each time.
      const operation = () =>
        [...document.querySelectorAll('.opblock-get')].find(
          (o) => o.querySelector('[data-path]')?.getAttribute('data-path') === path,
        );
      const inOperation = (selector) => until(() => operation()?.querySelector(selector), selector);
      (await inOperation('.opblock-summary-control')).click();
      // uiConfig.tryItOutEnabled: the form is open already, Execute is there.
      (await inOperation('.execute')).click();
      return (await inOperation('.live-responses-table tr.response .response-col_status')).textContent.trim();
    }`;
    const evaluate = (expression: string) =>
      send(
        'Runtime.evaluate',
        { expression, awaitPromise: true, returnByValue: true },
        sessionId as string,
      ) as Promise<{
        result: { value: unknown };
      }>;
    // The page navigates from about:blank to the docs first.
    for (
      const end = Date.now() + 20_000;
      Date.now() < end;
      await new Promise((r) => setTimeout(r, 100))
    ) {
      const loaded = await evaluate(
        `location.href === ${JSON.stringify(url)} && document.readyState === 'complete'`,
      ).catch(() => undefined);
      if (loaded?.result.value === true) break;
    }
    const done = (await evaluate(`(${PAGE})(${JSON.stringify(key)}, ${JSON.stringify(path)})`)) as {
      result: { value: unknown };
      exceptionDetails?: { exception?: { description?: string } };
    };
    ws.close();
    if (done.exceptionDetails) throw new Error(done.exceptionDetails.exception?.description);
    return String(done.result.value);
  } finally {
    chromium.kill();
  }
}

describe('docs in a browser', { skip: CHROMIUM ? false : 'chromium is not installed' }, () => {
  let app: FastifyInstance;
  let base: string;
  let key: string;
  before(async () => {
    const database = await pglite.open();
    ({ app } = await testApp(database, {
      APP_NAME: 'Docs Test',
      AUTH_DISABLED: 'false',
      API_KEY_PEPPER: PEPPER,
    }));
    ({ key } = await createKeyStore(database.db, PEPPER).create({
      name: 'docs',
      scopes: ['items:read'],
    }));
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

  test("Swagger UI's Authorize button sends the API key with Execute", async () => {
    const path = '/api/v1/items/stats/count';
    assert.equal((await fetch(`${base}${path}`)).status, 401, 'the operation needs a key');
    assert.equal(await authorizeAndExecute(`${base}/docs`, key, path), '200');
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
