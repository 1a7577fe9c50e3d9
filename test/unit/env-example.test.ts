// .env.example is the reference for every setting: it must name each
// variable the config reads, and its values must be the real defaults.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseEnv } from 'node:util';
import { loadConfig } from '../../src/config/env.ts';

const example = readFileSync('.env.example', 'utf8');

test('.env.example documents every variable the config reads', () => {
  const source = readFileSync('src/config/env.ts', 'utf8');
  const read = new Set([...source.matchAll(/\(env, '([A-Z_]+)'/g)].map((m) => m[1]));
  read.add('DATABASE_URL');
  assert.ok(read.size > 10, 'found the variables');
  for (const name of read)
    assert.match(example, new RegExp(`^#? ?${name}=`, 'm'), `${name} is documented`);
});

test('the values in .env.example are the defaults', () => {
  const values = Object.fromEntries(Object.entries(parseEnv(example)).filter(([, v]) => v !== ''));
  assert.deepEqual(loadConfig(values), loadConfig({}));
});
