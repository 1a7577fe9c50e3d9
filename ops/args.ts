// Flag parsing for every verb. node:util parseArgs is enough: no positional
// arguments besides the verb, long flags only, and strict mode so that a typo
// is a usage error (exit 2) instead of a silently ignored option.
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** The options of parseFlags: the flags that take a value, then the switches. */
export const flags = (values: string[], switches: string[]): OptionSpec =>
  Object.fromEntries([
    ...values.map((f) => [f, { type: 'string' as const }]),
    ...switches.map((f) => [f, { type: 'boolean' as const }]),
  ]);

// The rules Google applies to the flags every verb shares, so that a bad value
// is caught before the first gcloud call instead of half-way through a bootstrap.
const FORMS: Record<string, [RegExp, string]> = {
  project: [
    /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
    'is not a project ID (6-30 lowercase letters, digits, hyphens; e.g. my-project-123)',
  ],
  region: [/^[a-z]+-[a-z]+[0-9]+$/, 'is not a region (e.g. europe-west1, us-central1)'],
  github: [
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/,
    'must be OWNER/REPO (e.g. acme/runway)',
  ],
  // The service name also prefixes the service-account IDs
  // ("<service>-deployer" must fit in 30 characters), hence 21.
  service: [
    /^[a-z](?:[a-z0-9-]{0,19}[a-z0-9])?$/,
    'must be 1-21 lowercase letters, digits or hyphens, starting with a letter (e.g. runway)',
  ],
};

/** The flags' values; a value given for --project, --region, --github or --service has its form. */
export function parseFlags(
  argv: string[],
  options: OptionSpec,
): Record<string, string | boolean | undefined> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options, strict: true }).values as typeof values;
  } catch (err) {
    // parseArgs throws TypeError with codes like ERR_PARSE_ARGS_UNKNOWN_OPTION.
    throw new UsageError((err as Error).message);
  }
  for (const [name, [form, what]] of Object.entries(FORMS)) {
    const value = optionalString(values, name);
    if (value !== undefined && !form.test(value))
      throw new UsageError(`--${name} "${value}" ${what}`);
  }
  return values;
}

export function requireString(
  values: Record<string, string | boolean | undefined>,
  name: string,
): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

export function optionalString(
  values: Record<string, string | boolean | undefined>,
  name: string,
): string | undefined {
  const v = values[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}
