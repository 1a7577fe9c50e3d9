// The README's configuration table and .env.example describe the settings
// that ConfigSchema declares: the table is rendered from the schema and must
// match, and every value in .env.example is the schema's default.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseEnv } from 'node:util';
import { ConfigSchema, InProduction, loadConfig } from '../../src/config/env.ts';

interface Setting {
  default?: unknown;
  description: string;
  anyOf?: { const: string }[];
  examples?: unknown[];
}

const settings = Object.entries(ConfigSchema.properties) as [string, Setting][];
const production = InProduction.properties as Record<string, { default?: unknown }>;
const text = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v));
const code = (v: unknown) => `\`${text(v)}\``;

function row(name: string, s: Setting): string {
  let dflt = s.default === undefined ? 'unset' : text(s.default) === '' ? 'empty' : code(s.default);
  const inProduction = production[name]?.default;
  if (inProduction !== undefined) dflt += `, ${code(inProduction)} in production`;
  const values = s.anyOf ? `${s.anyOf.map((l) => code(l.const)).join(', ')}: ` : '';
  const examples = s.examples ? `; example: ${s.examples.map(code).join(' or ')}` : '';
  return `| \`${name}\` | ${dflt} | ${values}${s.description}${examples} |`;
}

test("the README's configuration table is the schema's", () => {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'));
  const table = section
    .slice(0, section.indexOf('\n## ', 1))
    .split('\n')
    .filter((l) => l.startsWith('| `'));
  assert.deepEqual(
    table,
    settings.map(([name, s]) => row(name, s)),
  );
});

const example = readFileSync('.env.example', 'utf8');

test('.env.example names every setting, and nothing else', () => {
  const named = [...example.matchAll(/^#? ?([A-Z][A-Z_]+)=/gm)].map((m) => m[1]);
  assert.deepEqual(new Set(named), new Set(settings.map(([name]) => name)));
});

test('the values set in .env.example are the defaults', () => {
  const values = parseEnv(example);
  for (const [name, value] of Object.entries(values)) {
    const s = ConfigSchema.properties[name as keyof typeof ConfigSchema.properties] as Setting;
    assert.equal(value, s.default === undefined ? '' : text(s.default), name);
  }
  assert.deepEqual(loadConfig(values), loadConfig({}));
});
