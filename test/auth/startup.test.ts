// Authentication as the process sees it: production refuses to start with
// no method configured, and the operator CLI's keys verb manages keys.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const NOWHERE = 'postgres://nobody@127.0.0.1:9/none';
const node = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });

test('production with no method of authentication refuses to start and names the settings', () => {
  const r = node(['src/server.ts'], { ENVIRONMENT: 'production', DATABASE_URL: NOWHERE });
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /No method of authentication is configured for ENVIRONMENT=production: set API_KEY_PEPPER .* or AUTH_DISABLED=true/,
  );
});

test('runway keys create, list and revoke, with --json', () => {
  const env = { PGLITE_DIR: join(mkdtempSync(join(tmpdir(), 'runway-keys-')), 'data') };
  const cli = (...args: string[]) => node(['ops/cli.ts', 'keys', ...args], env);

  const created = cli(
    'create',
    '--name',
    'billing',
    '--scopes',
    'items:read,items:write',
    '--expires-in',
    '90d',
    '--json',
  );
  assert.equal(created.status, 0, created.stderr);
  const made = JSON.parse(created.stdout);
  assert.match(made.key, new RegExp(`^rw_${made.id}_`));
  assert.deepEqual(made.scopes, ['items:read', 'items:write']);
  const days = (Date.parse(made.expires_at) - Date.now()) / 86_400_000;
  assert.ok(days > 89.9 && days <= 90, `expires in ${days} days`);

  assert.equal(cli('revoke', made.id, '--json').status, 0);
  const listed = cli('list', '--json');
  assert.equal(listed.status, 0, listed.stderr);
  const [row, ...others] = JSON.parse(listed.stdout);
  assert.deepEqual(others, []);
  assert.equal(row.id, made.id);
  assert.ok(row.revoked_at, 'revoked');
  assert.ok(!listed.stdout.includes(made.key.slice(16)), 'the list never shows a secret');

  const missing = cli('revoke', 'AAAAAAAAAAAA');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no key with id AAAAAAAAAAAA/);
  const usage = cli('create', '--name', 'x', '--scopes', 'everything');
  assert.equal(usage.status, 2);
  assert.match(
    usage.stderr,
    /^runway keys: --scopes must be comma-separated scopes like items:read,items:write, not "everything"/,
  );
});
