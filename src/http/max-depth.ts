// `maxDepth: n` on a schema refuses a value whose objects and arrays nest
// more than n levels deep (the value itself is the first level). Deep
// nesting costs recursion wherever the value is copied or written out, and
// past a few thousand levels JSON.stringify overflows the stack; the check
// walks the value without recursion.
import type { Ajv, SchemaValidateFunction } from 'ajv';

function nestsWithin(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, depth] = next;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > limit) return false;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}

export function addMaxDepthKeyword(ajv: Ajv): void {
  const validate: SchemaValidateFunction = (limit: number, data: unknown) => {
    const ok = nestsWithin(data, limit);
    validate.errors = ok ? undefined : [{ keyword: 'maxDepth', params: { limit } }];
    return ok;
  };
  ajv.addKeyword({ keyword: 'maxDepth', schemaType: 'number', errors: true, validate });
}
