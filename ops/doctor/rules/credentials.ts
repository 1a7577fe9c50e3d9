// Pitfall 9 (../pitfalls.ts): no key file in git or in the image; WIF before keys.
import ignoreRules from '@balena/dockerignore';
import { deployPaths } from '../deploy-paths.ts';
import type { Repo } from '../repo.ts';
import type { Found } from '../types.ts';

const KEY_NAME =
  /(^|\/)(gha-creds-[^/]*\.json|[^/]*-key\.json|[^/]*\.p12|service-account[^/]*\.json|credentials\.json)$/i;
/** What every ignore file must cover: key files at the root and below it, and .env. */
const KEYS = ['gha-creds-0a1b2c3d.json', 'runway-deployer-key.json'];
const SAMPLES = [...KEYS, ...KEYS.map((f) => `deploy/${f}`), '.env'];

/** A credential by its name, or by its content (a service-account key, a private key). */
function isKey(repo: Repo, path: string): boolean {
  const text = !KEY_NAME.test(path) && /\.(json|pem|key)$/i.test(path) ? repo.read(path) : null;
  return (
    KEY_NAME.test(path) ||
    (text !== null &&
      text.length < 256 * 1024 &&
      ((/"type"\s*:\s*"service_account"/.test(text) && /"private_key"/.test(text)) ||
        /-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(text)))
  );
}

export function credentials(repo: Repo): Found[] {
  const found: Found[] = [];
  const key = (f: string, id: string, where: string, fix: string) => {
    const message = `${f} looks like a credential and is ${where}`;
    const revoke = `${fix}, and revoke the key: gcloud iam service-accounts keys delete KEY_ID --iam-account=SA_EMAIL (Workload Identity Federation needs none)`;
    found.push({ id, severity: 'error', message, fix: revoke, file: f });
  };

  const tracked = repo.git(['ls-files', '-z']);
  // The repository's own .gitignore only: a global excludes file protects no one else.
  const checkIgnore = '-c core.excludesFile=/dev/null check-ignore --no-index --stdin'.split(' ');
  const ignored = repo.git(checkIgnore, SAMPLES.join('\n'))?.split('\n');
  if (tracked === null || ignored === undefined) {
    const message = `${repo.dir} is not a git work tree: tracked key files and .gitignore are not checked`;
    const fix = 'Run doctor in a git clone of the repository';
    found.push({ id: 'not-a-git-work-tree', severity: 'warning', message, fix });
  }
  for (const f of tracked?.split('\0').filter((p) => p && isKey(repo, p)) ?? [])
    key(f, 'key-file-tracked', 'tracked by git', `git rm --cached ${f}`);
  const notIgnored = SAMPLES.filter((s) => ignored && !ignored.includes(s));
  if (notIgnored.length) {
    const message = `.gitignore does not ignore ${notIgnored.join(', ')}`;
    const fix = "printf 'gha-creds-*.json\\n*-key.json\\n.env\\n' >> .gitignore";
    found.push({ id: 'gitignore-key-files', severity: 'error', message, fix, file: '.gitignore' });
  }

  if (repo.read('Dockerfile') !== null) {
    const rules = repo.read('.dockerignore');
    // A CommonJS module: TypeScript sees its factory as .default.
    const context = ignoreRules.default().add(rules ?? '');
    const where = 'in the Docker build context: COPY . . puts it in the image';
    for (const f of repo.glob('**/*.{json,pem,key,p12}').filter((p) => !context.ignores(p)))
      if (isKey(repo, f))
        key(f, 'key-file-in-docker-context', where, `Delete ${f} or .dockerignore it`);
    const sent = SAMPLES.filter((s) => !context.ignores(s));
    if (sent.length) {
      const message =
        rules === null
          ? 'No .dockerignore: the whole directory, key files and .env included, is sent to the Docker build'
          : `.dockerignore does not exclude ${sent.join(', ')} (its patterns are anchored at the context root: use **/)`;
      const fix = "printf '**/gha-creds-*.json\\n**/*-key.json\\n.env\\n' >> .dockerignore";
      const file = '.dockerignore';
      found.push({ id: 'dockerignore-key-files', severity: 'error', message, fix, file });
    }
  }

  const auth = deployPaths(repo).actions.filter((a) => /google-github-actions\/auth@/.test(a.uses));
  for (const a of auth.filter((s) => s.with.credentials_json)) {
    const wif = auth.some((s) => s.file === a.file && s.with.workload_identity_provider);
    // A key beside WIF is kept only as the fallback for when the WIF provider is unset.
    const guarded = /WORKLOAD_IDENTITY_PROVIDER\s*==\s*''/.test(a.if ?? '');
    if (wif && (a.with.workload_identity_provider || !guarded)) {
      const message = `${a.file} (${a.name ?? a.uses}) authenticates with a long-lived key beside Workload Identity Federation, not only as the fallback for when the WIF provider is unset`;
      const fix =
        "Keep credentials_json only in its own auth step, guarded as the fallback: if: vars.GCP_WORKLOAD_IDENTITY_PROVIDER == ''";
      found.push({ id: 'workflow-key-with-wif', severity: 'error', message, fix, file: a.file });
    }
  }
  return found;
}
