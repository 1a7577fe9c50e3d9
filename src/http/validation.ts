// Request validation: one Ajv for bodies, strict about types (a price sent as
// "10" is an error), and one for the query string and path, where everything
// arrives as text and must be coerced.
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { addMaxDepthKeyword } from './max-depth.ts';

// ajv-formats is CommonJS; its default export arrives under `.default` when loaded from ESM source.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as typeof addFormatsModule.default;

/**
 * `trim: true` on a string schema trims the value in place before the length
 * and pattern checks run, so "  a  " counts as one character and is stored as "a".
 */
function addTrimKeyword(ajv: Ajv): void {
  ajv.addKeyword({
    keyword: 'trim',
    type: 'string',
    modifying: true,
    schemaType: 'boolean',
    before: 'maxLength', // the first of Ajv's string keywords
    validate: (enabled: boolean, data: string, _schema, ctx) => {
      if (enabled && ctx?.parentData !== undefined && ctx.parentDataProperty !== undefined) {
        (ctx.parentData as Record<string | number, unknown>)[ctx.parentDataProperty] = data.trim();
      }
      return true;
    },
  });
}

const BASE: Options = {
  allErrors: true, // every failing field is reported, not only the first
  useDefaults: true,
  removeAdditional: true, // unknown fields are ignored
  strictNumbers: true, // NaN and Infinity are not numbers
  strict: false, // TypeBox adds keywords of its own (`[Kind]`, `x-*`)
  // Checking our own schemas against the JSON Schema meta-schema means
  // compiling the meta-schema first: a third of the start-up time, for
  // schemas that the tests and the OpenAPI build exercise anyway.
  validateSchema: false,
};

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({ ...BASE, ...options });
  addFormats(ajv);
  addTrimKeyword(ajv);
  addMaxDepthKeyword(ajv);
  return ajv;
}

const TRUE = new Set(['1', 'true', 't', 'yes', 'y', 'on']);
const FALSE = new Set(['0', 'false', 'f', 'no', 'n', 'off']);

/** Booleans given as text accept the usual spellings: true/false, yes/no, on/off, 1/0, t/f, y/n. */
export function normalizeBooleans(schema: { properties?: object }, data: unknown): void {
  if (!schema.properties || typeof data !== 'object' || data === null) return;
  const query = data as Record<string, unknown>;
  for (const [key, prop] of Object.entries(schema.properties) as [string, { type?: unknown }][]) {
    const v = query[key];
    if (prop.type !== 'boolean' || typeof v !== 'string') continue;
    const s = v.toLowerCase();
    if (TRUE.has(s)) query[key] = true;
    else if (FALSE.has(s)) query[key] = false;
  }
}

/**
 * The compiler Fastify calls for each route schema; one pair of Ajv instances
 * per app. Each validator is compiled on its route's first request rather
 * than at start: cold start is paid on every scale-up (with the serializers,
 * ~40 ms of it; docs/performance.md), and a route that an instance never
 * serves never costs it anything.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const ajv: Partial<Record<'body' | 'text', Ajv>> = {};
  return ({ schema, httpPart }) => {
    let validate: ValidateFunction | undefined;
    const compile = () => {
      const kind = httpPart === 'body' ? 'body' : 'text';
      ajv[kind] ??= makeAjv({ coerceTypes: kind === 'text' });
      return ajv[kind].compile(schema as object);
    };
    const wrapped = (data: unknown) => {
      validate ??= compile();
      if (httpPart === 'querystring') normalizeBooleans(schema as never, data);
      const ok = validate(data);
      wrapped.errors = validate.errors;
      return ok;
    };
    wrapped.errors = null as ValidateFunction['errors'];
    return wrapped;
  };
}

const MESSAGES: Record<string, (e: ErrorObject) => string> = {
  required: () => 'field required',
  type: (e) => `must be ${article(String(e.params.type))}`,
  minLength: (e) =>
    e.params.limit === 1 ? 'must not be empty' : `must be at least ${e.params.limit} characters`,
  maxLength: (e) => `must be at most ${e.params.limit} characters`,
  exclusiveMinimum: (e) => `must be greater than ${e.params.limit}`,
  minimum: (e) => `must be greater than or equal to ${e.params.limit}`,
  maximum: (e) => `must be less than or equal to ${e.params.limit}`,
  pattern: (e) =>
    String(e.params.pattern).includes('\\u0000')
      ? 'must not contain NUL characters'
      : `must match ${e.params.pattern}`,
  format: (e) => `must be a valid ${e.params.format}`,
  maxDepth: (e) => `must not nest deeper than ${e.params.limit} levels`,
};

function article(type: string): string {
  const t = type.replace(/,null$/, '');
  if (t === 'object') return 'a JSON object';
  if (t === 'integer') return 'an integer';
  return `a ${t}`;
}

/**
 * One message per failing field. For a nullable field Ajv reports a failure
 * for each branch of the union; the first is the one about the value given.
 */
export function fieldErrors(
  errors: ErrorObject[],
  part: string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors) {
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
    if (e.keyword === 'type' && e.params.type === 'null' && e.instancePath !== '') continue;
    const segments = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (e.keyword === 'required') segments.push(String(e.params.missingProperty));
    const field =
      segments.length > 0 ? segments.join('.') : part === 'body' ? 'body' : (part ?? 'request');
    if (out[field] !== undefined) continue;
    out[field] = MESSAGES[e.keyword]?.(e) ?? e.message ?? 'is invalid';
  }
  return out;
}
