// The SQL migrations live in ./drizzle at the project root. From the sources
// (src/db/) and from the bundle (dist/) that is a different number of levels
// up, so look upwards for the journal drizzle-kit writes beside them.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function migrationsFolder(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'drizzle');
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error(
    'Migrations folder not found: expected ./drizzle with meta/_journal.json beside dist/ or src/',
  );
}
