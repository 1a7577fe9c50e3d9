// The world of the deploy scenarios: the real gcloud against a stand-in of
// Cloud Run and Cloud Logging, and the real app listening on 127.0.0.1 where a
// revision's URL points.
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { declaration, planTraffic, revisionNames } from '../../../ops/deploy/service.ts';
import { buildApp } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config/env.ts';
import { type CliResult, runCli } from '../../standin/cli.ts';
import { logging } from '../../standin/logging.ts';
import { applyService, cloudRun, type RunState } from '../../standin/run.ts';
import { type Standin, startStandin } from '../../standin/server.ts';

export const repoRoot = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
);
export const PROJECT = 'demo-project';
export const REGION = 'us-central1';
export const SERVICE = 'runway';

/** A release of one commit: its SHA, image by digest, revision and tag names. */
export function release(hex: string, cloudsqlInstance?: string) {
  const sha = hex.repeat(40 / hex.length);
  const image = `${REGION}-docker.pkg.dev/${PROJECT}/runway/runway@sha256:${hex.repeat(64 / hex.length)}`;
  const r = {
    image,
    sha,
    revisionSuffix: 't1',
    runtimeServiceAccount: `runway-runtime@${PROJECT}.iam.gserviceaccount.com`,
    databaseUrlSecret: 'runway-database-url',
    cloudsqlInstance,
  };
  const where = { project: PROJECT, region: REGION, service: SERVICE };
  return { ...r, ...revisionNames(SERVICE, r), declaration: () => declaration(where, r, '0.1.0') };
}
export type Release = ReturnType<typeof release>;

export interface Cloud {
  s: Standin;
  run: RunState;
  /** Runs `runway deploy ...` with this release's image, and collects its step outputs and summary. */
  deploy(r: Release, ...flags: string[]): Promise<CliResult & Files>;
  close(): Promise<void>;
}
interface Files {
  outputs: Record<string, string>;
  summary: string;
}

export async function cloud(): Promise<Cloud> {
  const s = await startStandin([cloudRun, logging]);
  const dir = mkdtempSync(path.join(tmpdir(), 'runway-deploy-test-'));
  let n = 0;
  return {
    s,
    run: s.state.run as RunState,
    async deploy(r, ...flags) {
      n += 1;
      const files = {
        GITHUB_OUTPUT: `${dir}/output-${n}`,
        GITHUB_STEP_SUMMARY: `${dir}/summary-${n}`,
      };
      const argv = ['deploy', '--project', PROJECT, '--region', REGION, '--image', r.image];
      const result = await runCli(
        [...argv, '--sha', r.sha, '--revision-suffix', 't1', ...flags],
        s,
        files,
      );
      const read = (f: string) => {
        try {
          return readFileSync(f, 'utf8');
        } catch {
          return '';
        }
      };
      const outputs = Object.fromEntries(
        read(files.GITHUB_OUTPUT)
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      return { ...result, outputs, summary: read(files.GITHUB_STEP_SUMMARY) };
    },
    close: () => s.close(),
  };
}

/** The service as an earlier deploy of `r` left it: its revision serves all traffic; `tags` name it too. */
export function deployed(c: Cloud, r: Release, ...tags: string[]): void {
  const svc = r.declaration();
  svc.spec.traffic = planTraffic([], r.revision, r.tag).concat(
    tags.map((tag) => ({ revisionName: r.revision, percent: 0, tag })),
  );
  applyService(c.s, PROJECT, REGION, svc);
}

/** Who serves the service now, from the stand-in's state. */
export const servingNow = (c: Cloud) =>
  (c.run.services.get(SERVICE)?.status.traffic ?? [])
    .filter((t: { percent: number }) => t.percent > 0)
    .map((t: { revisionName: string; percent: number }) => `${t.revisionName}=${t.percent}`);

/** The real app on 127.0.0.1, with the embedded database in memory unless env says otherwise. */
export async function app(env: Record<string, string> = {}) {
  const server = await buildApp(
    loadConfig({
      ENVIRONMENT: 'test',
      PGLITE_DIR: 'memory://',
      LOG_LEVEL: 'silent',
      AUTH_DISABLED: 'true',
      ...env,
    }),
  );
  const seen: string[] = [];
  server.addHook('onRequest', async (req) => {
    seen.push(`${req.method} ${req.url}`);
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const { port } = server.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => server.close() };
}

/** Points the URL of one host name (`sha-0123456---runway`) at a local server; the rest stay unreachable. */
export function route(c: Cloud, host: string, url: string) {
  const fallback = c.run.url;
  c.run.url = (h) => (h === host ? url : fallback(h));
}
