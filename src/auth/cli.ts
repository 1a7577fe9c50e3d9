// `runway keys create|list|revoke`: API keys in the database that
// DATABASE_URL names (the embedded one when it is unset), with the pepper of
// API_KEY_PEPPER (the development pepper on a laptop's embedded database only).
//   keys create --name NAME --scopes items:read,items:write [--expires-in 90d] [--json]
//   keys list [--json]
//   keys revoke ID [--json]
// Exit codes: 0 ok, 1 failure (no such key, database errors), 2 usage error.
import { parseArgs } from 'node:util';
import pino from 'pino';
import { type Config, ConfigError, loadConfig, loadDotEnv } from '../config/env.ts';
import { openDatabase } from '../db/open.ts';
import { keyPepper } from './authenticator.ts';
import { createKeyStore, type KeyInfo, type KeyStore } from './keys.ts';

export const KEYS_USAGE = `keys       API keys in the service's database (DATABASE_URL, or the embedded one).
             create --name NAME --scopes items:read,items:write [--expires-in 90d] [--json]
               prints the key once; --expires-in takes a number of days (d) or hours (h)
             list [--json]      revoke ID [--json]: refused within 5 s on every instance`;

export interface KeysIO {
  env: Record<string, string | undefined>;
  stdout(text: string): void;
  stderr(text: string): void;
}

class Usage extends Error {}

const SCOPE = /^[\w.-]+:[\w.-]+$/;
const UNITS = { d: 86_400_000, h: 3_600_000 } as const;

const OPTIONS = {
  name: { type: 'string' },
  scopes: { type: 'string' },
  'expires-in': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The flags of one action; a flag of another action is a usage error too. */
function flags(argv: string[], action: string, allowed: (keyof typeof OPTIONS)[]) {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (err) {
    throw new Usage((err as Error).message);
  }
  const other = Object.keys(parsed.values).find(
    (k) => k !== 'json' && !allowed.includes(k as never),
  );
  if (other) throw new Usage(`--${other} does not apply to keys ${action}`);
  return parsed;
}

function expiry(text: string | undefined, now: number): Date | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)([dh])$/.exec(text);
  if (!m || Number(m[1]) === 0)
    throw new Usage(
      `--expires-in must be a number of days or hours, like 90d or 12h, not "${text}"`,
    );
  return new Date(now + Number(m[1]) * UNITS[m[2] as keyof typeof UNITS]);
}

const line = (k: KeyInfo) =>
  [
    k.id,
    k.name,
    k.scopes.join(','),
    `created ${k.created_at.toISOString()}`,
    k.expires_at ? `expires ${k.expires_at.toISOString()}` : 'no expiry',
    k.revoked_at ? `REVOKED ${k.revoked_at.toISOString()}` : 'active',
    k.last_used_at ? `last used ${k.last_used_at.toISOString()}` : 'never used',
  ].join('  ');

async function act(
  action: string | undefined,
  argv: string[],
  keys: () => Promise<KeyStore>,
  io: KeysIO,
) {
  switch (action) {
    case 'create': {
      const { values, positionals } = flags(argv, 'create', ['name', 'scopes', 'expires-in']);
      if (positionals.length > 0) throw new Usage(`unexpected argument: ${positionals[0]}`);
      const name = values.name?.trim();
      if (!name || name.length > 100)
        throw new Usage('--name is required: 1 to 100 characters, like --name billing-job');
      const scopes = (values.scopes ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = scopes.find((s) => !SCOPE.test(s));
      if (scopes.length === 0 || bad)
        throw new Usage(
          `--scopes must be comma-separated scopes like items:read,items:write${bad ? `, not "${bad}"` : ''}`,
        );
      const expiresAt = expiry(values['expires-in'], Date.now());
      const made = await (await keys()).create({
        name,
        scopes,
        ...(expiresAt ? { expiresAt } : {}),
      });
      io.stdout(values.json ? JSON.stringify(made) : `${made.key}\n(shown once) ${line(made)}`);
      return 0;
    }
    case 'list': {
      const { values, positionals } = flags(argv, 'list', []);
      if (positionals.length > 0) throw new Usage(`unexpected argument: ${positionals[0]}`);
      const all = await (await keys()).list();
      io.stdout(values.json ? JSON.stringify(all) : all.map(line).join('\n') || 'no keys');
      return 0;
    }
    case 'revoke': {
      const { values, positionals } = flags(argv, 'revoke', []);
      const [id, extra] = positionals;
      if (!id || extra) throw new Usage('revoke takes one key id, like: keys revoke AbC123dEf456');
      const revoked = await (await keys()).revoke(id);
      if (values.json) io.stdout(JSON.stringify({ id, revoked }));
      else (revoked ? io.stdout : io.stderr)(revoked ? `revoked ${id}` : `no key with id ${id}`);
      return revoked ? 0 : 1;
    }
    default:
      throw new Usage(action ? `unknown keys action "${action}"` : 'keys needs an action');
  }
}

/** Runs `keys ...`; returns the exit code. */
export async function runKeys(argv: string[], io: KeysIO): Promise<number> {
  const [action, ...rest] = argv;
  let close = async () => {};
  try {
    const keys = async () => {
      if (io.env === process.env) loadDotEnv();
      const config: Config = loadConfig(io.env);
      const pepper = keyPepper(config);
      if (!pepper)
        throw new ConfigError(
          `API_KEY_PEPPER is required for keys with ENVIRONMENT=${config.environment}: the service's own value (Secret Manager in production)`,
        );
      const database = await openDatabase(config, pino({ level: 'silent' }));
      close = () => database.close();
      return createKeyStore(database.db, pepper);
    };
    return await act(action, rest, keys, io);
  } catch (err) {
    if (err instanceof Usage) {
      io.stderr(`runway keys: ${err.message}\n\n${KEYS_USAGE}`);
      return 2;
    }
    const missingTable = /relation "api_keys" does not exist/.test(
      String((err as { cause?: unknown }).cause ?? err),
    );
    io.stderr(
      `runway keys: ${missingTable ? 'the api_keys table does not exist: apply the migrations first (npm run db:migrate)' : (err as Error).message}`,
    );
    return 1;
  } finally {
    await close();
  }
}
