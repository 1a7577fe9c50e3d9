// `npm ci && npm start` gives working docs: the first start in development
// makes a key with every scope and prints it once (stored hashed like any
// other; `npm run runway -- keys list` shows it, `keys revoke` ends it).
import type { Logger } from 'pino';
import type { KeyStore } from './keys.ts';

export async function ensureDevelopmentKey(
  keys: KeyStore,
  scopes: string[],
  log: Logger,
): Promise<void> {
  try {
    if ((await keys.count()) > 0) return;
    const { key } = await keys.create({ name: 'development', scopes });
    log.warn(
      `Development API key, shown once: ${key}  (send it as X-API-Key, or paste it into Authorize at /docs)`,
    );
  } catch (err) {
    // The service starts without its database (see /ready); so does this.
    log.warn({ err }, 'no development API key made: the database did not answer');
  }
}
