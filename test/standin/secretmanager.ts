// Secret Manager v1: secrets, their versions (the payload kept as sent, in
// base64) and their IAM policies. Secrets are keyed by name.
import { inProject } from './cloudresourcemanager.ts';
import { iamPolicyRoutes } from './iam.ts';
import { type Api, googleError, notFound, type Route } from './server.ts';
import { requireEnabled } from './serviceusage.ts';

const SECRETS = '^\\/v1\\/projects\\/([^/:]+)\\/secrets';

export interface Secret {
  name: string;
  versions: Array<{ name: string; state: string; data: string }>;
}

/** The plain text of a secret's newest version. */
export const secretValue = (secret: Secret) =>
  Buffer.from(secret.versions.at(-1)?.data ?? '', 'base64').toString('utf8');

export const secretmanager: Api = (s) => {
  s.state.secrets ??= {};
  const secret = (name: string): Secret | undefined => s.state.secrets[name];
  // Versions are not part of the Secret resource Google returns.
  const shown = ({ versions: _v, ...rest }: Secret) => rest;
  const routes: Route[] = [
    [
      'GET',
      new RegExp(`${SECRETS}$`),
      inProject(s, (_req, _m, _p) => {
        const secrets = Object.values(s.state.secrets as Record<string, Secret>).map(shown);
        return { body: { secrets, totalSize: secrets.length } };
      }),
    ],
    [
      'POST',
      new RegExp(`${SECRETS}$`),
      inProject(s, (req, _m, p) => {
        const id = req.query.get('secretId') as string;
        if (secret(id))
          return googleError(
            409,
            `Secret [projects/${p.projectNumber}/secrets/${id}] already exists.`,
          );
        s.state.secrets[id] = {
          ...req.body,
          name: `projects/${p.projectNumber}/secrets/${id}`,
          createTime: new Date().toISOString(),
          versions: [],
        };
        return { body: shown(s.state.secrets[id]) };
      }),
    ],
    [
      'POST',
      new RegExp(`${SECRETS}\\/([^/:]+):addVersion$`),
      (req, m) => {
        const x = secret(m[2] as string);
        if (!x) return notFound(`Secret [${m[2]}]`);
        const version = {
          name: `${x.name}/versions/${x.versions.length + 1}`,
          state: 'ENABLED',
          data: req.body.payload.data as string,
        };
        x.versions.push(version);
        // gcloud checks that the API saw the checksum it sent.
        const checked = req.body.payload.dataCrc32c !== undefined;
        return {
          body: {
            name: version.name,
            state: version.state,
            clientSpecifiedPayloadChecksum: checked,
          },
        };
      },
    ],
    [
      'GET',
      new RegExp(`${SECRETS}\\/([^/:]+)\\/versions$`),
      (_req, m) => {
        const x = secret(m[2] as string);
        if (!x) return notFound(`Secret [${m[2]}]`);
        const versions = x.versions.map(({ data: _d, ...v }) => v).reverse();
        return { body: { versions, totalSize: versions.length } };
      },
    ],
    [
      // What the VM's agent reads at boot (versions/latest:access, deploy/vm/cloud-init.yaml).
      'GET',
      new RegExp(`${SECRETS}\\/([^/:]+)\\/versions\\/(latest|\\d+):access$`),
      (_req, m) => {
        const x = secret(m[2] as string);
        const v = m[3] === 'latest' ? x?.versions.at(-1) : x?.versions[Number(m[3]) - 1];
        if (!x || !v) return notFound(`Secret Version [${m[2]}/${m[3]}]`);
        return { body: { name: v.name, payload: { data: v.data } } };
      },
    ],
    ...iamPolicyRoutes(s, new RegExp(`${SECRETS}\\/([^/:]+)`), (_n, m) =>
      secret(m[2] as string) ? `secrets/${m[2]}` : notFound(`Secret [${m[2]}]`),
    ),
  ];
  return requireEnabled(s, 'secretmanager.googleapis.com', routes);
};
