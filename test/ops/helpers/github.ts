// A stand-in of GitHub's REST API for the real gh: GET /repos/OWNER/REPO
// answers the repository (its numeric id), anything else GitHub's 404 body.
// gh talks plain HTTP to api.github.localhost when GH_HOST is
// github.localhost, through the proxy that HTTP_PROXY names: this server.
import { once } from 'node:events';
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Where gh is installed, if it is. */
export const GH = (process.env.PATH ?? '')
  .split(delimiter)
  .map((d) => join(d, 'gh'))
  .find((p) => existsSync(p));

export async function githubStandin(repos: Record<string, number>) {
  const server = createServer((req, res) => {
    const repo = new URL(req.url ?? '/', 'http://api.github.localhost').pathname.match(
      /^\/repos\/([^/]+\/[^/]+)$/,
    )?.[1];
    const id = repo ? repos[repo] : undefined;
    res.writeHead(id ? 200 : 404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        id
          ? { id, full_name: repo }
          : { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' },
      ),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  // A PATH with gh and nothing else: gcloud is "not installed", so no cloud call follows.
  const dir = mkdtempSync(join(tmpdir(), 'runway-gh-'));
  symlinkSync(GH as string, join(dir, 'gh'));
  return {
    env: {
      PATH: dir,
      GH_HOST: 'github.localhost',
      GH_CONFIG_DIR: dir,
      HTTP_PROXY: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    },
    close: () => new Promise((r) => server.close(r)),
  };
}
