// Flag parsing for every verb. node:util parseArgs is enough: no positional
// arguments besides the verb, long flags only, and strict mode so that a typo
// is a usage error (exit 2) instead of a silently ignored option.
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export function parseFlags(
  argv: string[],
  options: OptionSpec,
): Record<string, string | boolean | undefined> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0) {
      throw new UsageError(`unexpected argument: ${positionals[0]}`);
    }
    return values as Record<string, string | boolean | undefined>;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // parseArgs throws TypeError with codes like ERR_PARSE_ARGS_UNKNOWN_OPTION.
    throw new UsageError((err as Error).message);
  }
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

// Validation mirrors the rules Google applies, so that a bad value is caught
// before the first gcloud call instead of half-way through a bootstrap.
export function validateProject(project: string): void {
  if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(project)) {
    throw new UsageError(
      `--project "${project}" is not a project ID (6-30 lowercase letters, digits, hyphens; e.g. my-project-123)`,
    );
  }
}

export function validateRegion(region: string): void {
  if (!/^[a-z]+-[a-z]+[0-9]+$/.test(region)) {
    throw new UsageError(`--region "${region}" is not a region (e.g. europe-west1, us-central1)`);
  }
}

export function validateGithub(repo: string): void {
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/.test(repo)) {
    throw new UsageError(`--github "${repo}" must be OWNER/REPO (e.g. acme/runway)`);
  }
}

export function validateService(service: string): void {
  // The service name also prefixes the service-account IDs
  // ("<service>-deployer" must fit in 30 characters), hence 21.
  if (!/^[a-z](?:[a-z0-9-]{0,19}[a-z0-9])?$/.test(service)) {
    throw new UsageError(
      `--service "${service}" must be 1-21 lowercase letters, digits or hyphens, starting with a letter (e.g. runway)`,
    );
  }
}
