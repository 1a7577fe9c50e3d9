// Pitfall 9: google-github-actions/auth writes gha-creds-*.json into the
// workspace, and a service-account key downloaded "just once" ends up next to
// the Dockerfile. Either one is then committed, or copied into the image by
// "COPY . ." and published with it. A workflow with Workload Identity
// Federation must not use a long-lived key besides, except as its fallback.
import ignoreRules from '@balena/dockerignore';
import { deployPaths } from '../deploy-paths.ts';
import type { Repo } from '../repo.ts';
import type { Found } from '../types.ts';

const KEY_NAME =
  /(^|\/)(gha-creds-[^/]*\.json|[^/]*-key\.json|[^/]*\.p12|service-account[^/]*\.json|credentials\.json)$/i;
const KEY_FILES = ['**/*.{json,pem,key,p12}'];
/** What every ignore file must cover: key files at the root and below it, and .env. */
const KEYS = ['gha-creds-0a1b2c3d.json', 'runway-deployer-key.json'];
const SAMPLES = [...KEYS, ...KEYS.map((f) => `deploy/${f}`), '.env'];

export function isKeyFile(path: string, read: (p: string) => string | null): boolean {
  if (KEY_NAME.test(path)) return true;
  const text = /\.(json|pem|key)$/i.test(path) ? read(path) : null;
  return (
    text !== null &&
    text.length < 256 * 1024 &&
    ((/"type"\s*:\s*"service_account"/.test(text) && /"private_key"/.test(text)) ||
      /-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(text))
  );
}

const KEY_FIX = (f: string) =>
  `Delete ${f} and the key behind it (gcloud iam service-accounts keys list --iam-account=SA_EMAIL, then gcloud iam service-accounts keys delete KEY_ID --iam-account=SA_EMAIL); Workload Identity Federation needs no key`;

export function credentials(repo: Repo): Found[] {
  const found: Found[] = [];
  const isKey = (p: string) => isKeyFile(p, (f) => repo.read(f));

  const tracked = repo.git(['ls-files', '-z']);
  // The repository's own .gitignore only: a global excludes file protects no one else.
  const ignored = repo.git(
    ['-c', 'core.excludesFile=/dev/null', 'check-ignore', '--no-index', '--stdin'],
    SAMPLES.join('\n'),
  );
  if (!tracked || !ignored)
    found.push({
      id: 'not-a-git-repository',
      severity: 'warning',
      message: `${repo.dir} is not a git work tree: tracked key files and .gitignore are not checked`,
      fix: 'Run doctor in a clone of the repository',
    });
  for (const f of tracked?.stdout.split('\0').filter((p) => p && isKey(p)) ?? [])
    found.push({
      id: 'key-file-tracked',
      severity: 'error',
      message: `${f} looks like a credential and is tracked by git`,
      fix: `git rm --cached ${f}; ${KEY_FIX(f)}`,
      file: f,
    });
  const missingGit = ignored ? SAMPLES.filter((s) => !ignored.stdout.split('\n').includes(s)) : [];
  if (missingGit.length)
    found.push({
      id: 'gitignore-key-files',
      severity: 'error',
      message: `.gitignore does not ignore ${missingGit.join(', ')}`,
      fix: "printf 'gha-creds-*.json\\n*-key.json\\n.env\\n' >> .gitignore",
      file: '.gitignore',
    });

  if (repo.read('Dockerfile') !== null) {
    const rules = repo.read('.dockerignore');
    // A CommonJS module: TypeScript sees its factory as .default.
    const context = ignoreRules.default().add(rules ?? '');
    for (const f of repo.glob(KEY_FILES).filter((p) => isKey(p) && !context.ignores(p)))
      found.push({
        id: 'key-file-in-docker-context',
        severity: 'error',
        message: `${f} looks like a credential and is in the Docker build context: COPY . . puts it in the image`,
        fix: `${KEY_FIX(f)}; and exclude it in .dockerignore`,
        file: f,
      });
    const missingDocker = SAMPLES.filter((s) => !context.ignores(s));
    if (missingDocker.length)
      found.push({
        id: 'dockerignore-key-files',
        severity: 'error',
        message:
          rules === null
            ? 'No .dockerignore: the whole directory, key files and .env included, is sent to the Docker build'
            : `.dockerignore does not exclude ${missingDocker.join(', ')} (its patterns are anchored at the context root: use **/)`,
        fix: "printf '**/gha-creds-*.json\\n**/*-key.json\\n.env\\n' >> .dockerignore",
        file: '.dockerignore',
      });
  }

  const auth = deployPaths(repo).actions.filter((a) => /google-github-actions\/auth@/.test(a.uses));
  for (const a of auth.filter((s) => s.with.credentials_json)) {
    const where = `${a.file} (${a.name ?? a.uses})`;
    const wif = auth.some((s) => s.file === a.file && s.with.workload_identity_provider);
    const guarded = /WORKLOAD_IDENTITY_PROVIDER\s*==\s*''/.test(a.if ?? '');
    if (a.with.workload_identity_provider || (wif && !guarded))
      found.push({
        id: 'workflow-key-with-wif',
        severity: 'error',
        message: `${where} authenticates with a long-lived key beside Workload Identity Federation, not only as the fallback for when the WIF provider is unset`,
        fix: "Keep credentials_json only in its own auth step, guarded as the fallback: if: vars.GCP_WORKLOAD_IDENTITY_PROVIDER == ''",
        file: a.file,
      });
    else if (!wif)
      found.push({
        id: 'workflow-long-lived-key',
        severity: 'warning',
        message: `${where} authenticates with a long-lived service-account key (credentials_json)`,
        fix: 'Run runway bootstrap and use workload_identity_provider + service_account instead',
        file: a.file,
      });
  }
  return found;
}
