// Secrets hygiene. google-github-actions/auth writes gha-creds-*.json into the
// workspace; a service-account key downloaded "just once" ends up next to the
// Dockerfile. Either one is then committed, or copied into the image by
// "COPY . ." and published with it. And a workflow that has WIF must not keep
// a long-lived key around as well.
import { dockerignore, gitignore } from '../ignore.ts';
import type { Repo } from '../repo.ts';
import { collectSources } from '../sources.ts';
import type { Check, Finding } from '../types.ts';

const KEY_NAME =
  /(^|\/)(gha-creds-[^/]*\.json|[^/]*-key\.json|[^/]*\.p12|service-account[^/]*\.json|credentials\.json|[^/]*-sa-key[^/]*)$/i;

export function isKeyFile(path: string, read: (p: string) => string | null): boolean {
  if (KEY_NAME.test(path)) return true;
  if (!/\.(json|pem|key)$/i.test(path)) return false;
  const text = read(path);
  if (text === null || text.length > 256 * 1024) return false;
  return (
    (/"type"\s*:\s*"service_account"/.test(text) && /"private_key"/.test(text)) ||
    /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(text)
  );
}

const SAMPLES = ['gha-creds-0a1b2c3d4e5f.json', 'runway-deployer-key.json'];

export const secretsCheck: Check = {
  id: 'secrets-hygiene',
  pitfall: null,
  title: 'No key files in git or in the Docker context; WIF without a long-lived key',
  run(repo: Repo): Finding[] {
    const findings: Finding[] = [];
    const read = (p: string) => repo.read(p);

    const tracked = repo.gitTracked();
    for (const f of (tracked ?? []).filter((p) => isKeyFile(p, read))) {
      findings.push({
        id: 'key-file-tracked',
        pitfall: null,
        severity: 'error',
        message: `${f} looks like a credential and is tracked by git`,
        fix: `git rm --cached ${f} && disable the key: gcloud iam service-accounts keys list --iam-account=SA_EMAIL, then gcloud iam service-accounts keys delete KEY_ID --iam-account=SA_EMAIL`,
        file: f,
      });
    }

    const dockerIgnoreText = repo.read('.dockerignore');
    const inContext = dockerignore(dockerIgnoreText);
    if (repo.exists('Dockerfile')) {
      for (const f of repo.files().filter((p) => isKeyFile(p, read))) {
        if (!inContext(f)) {
          findings.push({
            id: 'key-file-in-docker-context',
            pitfall: null,
            severity: 'error',
            message: `${f} looks like a credential and is in the Docker build context (not excluded by .dockerignore): COPY . . would put it in the image`,
            fix: `Delete ${f} (use Workload Identity Federation instead of keys) and add "**/${f
              .split('/')
              .pop()
              ?.replace(/^gha-creds-.*/, 'gha-creds-*.json')}" to .dockerignore`,
            file: f,
          });
        }
      }
    }

    const gitIgnored = gitignore(repo.read('.gitignore'));
    const missingGit = SAMPLES.filter((s) => !gitIgnored(s));
    if (missingGit.length) {
      findings.push({
        id: 'gitignore-key-files',
        pitfall: null,
        severity: 'error',
        message: `.gitignore does not ignore key files such as ${missingGit.join(', ')}`,
        fix: "printf 'gha-creds-*.json\\n*-key.json\\n' >> .gitignore",
        file: '.gitignore',
      });
    }
    if (repo.exists('Dockerfile')) {
      const missingDocker = SAMPLES.filter((s) => !inContext(s));
      const nested = SAMPLES.map((s) => `deploy/${s}`).filter((s) => !inContext(s));
      if (dockerIgnoreText === null || missingDocker.length) {
        findings.push({
          id: 'dockerignore-key-files',
          pitfall: null,
          severity: 'error',
          message:
            dockerIgnoreText === null
              ? 'No .dockerignore: the whole directory, key files and .env included, is sent to the Docker build'
              : `.dockerignore does not exclude key files such as ${missingDocker.join(', ')}`,
          fix: "printf '**/gha-creds-*.json\\n**/*-key.json\\n.env\\n' >> .dockerignore",
          file: '.dockerignore',
        });
      } else if (nested.length) {
        findings.push({
          id: 'dockerignore-key-files-nested',
          pitfall: null,
          severity: 'warning',
          message: `.dockerignore patterns are anchored at the context root, so ${nested.join(', ')} would still be sent`,
          fix: "printf '**/gha-creds-*.json\\n**/*-key.json\\n' >> .dockerignore",
          file: '.dockerignore',
        });
      }
    }

    // The workflow: a key where WIF is configured.
    const auth = collectSources(repo).actions.filter((a) =>
      /google-github-actions\/auth@/.test(a.uses),
    );
    const wif = auth.filter((a) => a.with.workload_identity_provider);
    for (const a of auth.filter((x) => x.with.credentials_json)) {
      const name = `${a.file} (${a.name ?? a.uses})`;
      if (a.with.workload_identity_provider) {
        findings.push({
          id: 'workflow-key-with-wif',
          pitfall: null,
          severity: 'error',
          message: `${name} passes both workload_identity_provider and credentials_json; the long-lived key is used or exposed for nothing`,
          fix: `Remove credentials_json from that step and delete the secret it reads`,
          file: a.file,
        });
      } else if (wif.length && !a.if) {
        findings.push({
          id: 'workflow-key-with-wif',
          pitfall: null,
          severity: 'error',
          message: `${name} authenticates with credentials_json unconditionally although the workflow also uses Workload Identity Federation`,
          fix: `Remove that step, or guard it as a documented fallback: if: vars.GCP_WORKLOAD_IDENTITY_PROVIDER == ''`,
          file: a.file,
        });
      } else if (!wif.length) {
        findings.push({
          id: 'workflow-long-lived-key',
          pitfall: null,
          severity: 'warning',
          message: `${name} authenticates with a long-lived service-account key (credentials_json)`,
          fix: 'Run runway bootstrap and use workload_identity_provider + service_account instead',
          file: a.file,
        });
      }
    }
    return findings;
  },
};
