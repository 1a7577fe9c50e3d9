// A local stand-in of the Google Cloud REST APIs that runway drives through
// gcloud. The real gcloud reaches it through endpoint overrides that name
// hosts like `run.standin`, and through an HTTP proxy setting that points at
// this server, so any host name (including the region-prefixed
// `us-central1-run.standin` that `gcloud run` derives) arrives here without a
// name lookup. State lives in memory; each API is a module of routes that
// answers with the documented resource shapes, operations and error bodies.
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Request {
  method: string;
  /** The API, from the host name: `run` for us-central1-run.standin. */
  api: string;
  /** The region gcloud put in front of the host, if any. */
  region?: string;
  path: string;
  query: URLSearchParams;
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are JSON the routes read freely
  body: any;
}

export interface Reply {
  status?: number;
  body: unknown;
}

export type Route = [
  method: string,
  path: RegExp,
  handle: (req: Request, m: RegExpMatchArray) => Reply,
];

/** An API module: the routes of one Google API, closed over the shared state. */
export type Api = (s: Standin) => Route[];

/** A fault to inject: the next `times` calls that match answer this error. */
export interface Fault {
  method?: string;
  api?: string;
  path: RegExp;
  status: number;
  reason: string;
  message: string;
  /** google.rpc details, e.g. an ErrorInfo with reason SERVICE_DISABLED. */
  details?: unknown[];
  times?: number;
}

export interface Call {
  method: string;
  api: string;
  path: string;
  body: unknown;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
};

/** The error body every Google API returns (google.rpc.Status inside "error"). */
export function googleError(
  code: number,
  message: string,
  status = STATUS_NAMES[code],
  details: unknown[] = [],
): Reply {
  return { status: code, body: { error: { code, message, status, details } } };
}

export const notFound = (what: string) => googleError(404, `${what} not found.`);

/** Reads are GETs and the POST verbs that only read; everything else writes. */
export function isWrite(c: Call): boolean {
  return (
    c.method !== 'GET' &&
    !/:(getIamPolicy|testIamPermissions|list|batchGet)$|entries:list$/.test(c.path)
  );
}

export interface Standin {
  port: number;
  /** Free-form per-API state; each module owns its keys. */
  // biome-ignore lint/suspicious/noExplicitAny: each API module keeps its own shapes here
  state: Record<string, any>;
  calls: Call[];
  faults: Fault[];
  /** A finished long-running operation; `GET .../operations/ID` returns it again. */
  operation(
    name: string,
    response: unknown,
    metadata?: unknown,
  ): { name: string; done: true; response: unknown };
  /** The environment that points the real gcloud at this server. */
  env(extra?: Record<string, string>): Record<string, string>;
  writes(): Call[];
  close(): Promise<void>;
}

/** The API names gcloud reads endpoint overrides for (CLOUDSDK_API_ENDPOINT_OVERRIDES_<NAME>). */
const OVERRIDES = [
  'run',
  'iam',
  'iamcredentials',
  'artifactregistry',
  'serviceusage',
  'cloudresourcemanager',
  'secretmanager',
  // gcloud sql reads the override of its API under the name "sql".
  'sql',
  'logging',
  'monitoring',
  'sts',
];

export async function startStandin(apis: Api[]): Promise<Standin> {
  const operations = new Map<string, unknown>();
  const dir = mkdtempSync(join(tmpdir(), 'runway-standin-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'standin-access-token');
  const s: Standin = {
    port: 0,
    state: {},
    calls: [],
    faults: [],
    operation(name, response, metadata) {
      const op = { name, done: true as const, response, ...(metadata ? { metadata } : {}) };
      operations.set(name, op);
      return op;
    },
    env(extra = {}) {
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dir,
        CLOUDSDK_CONFIG: join(dir, 'gcloud'),
        CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: tokenFile,
        CLOUDSDK_CORE_ACCOUNT: 'ops@example.com',
        CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
        CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
        CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
        CLOUDSDK_PROXY_TYPE: 'http',
        CLOUDSDK_PROXY_ADDRESS: '127.0.0.1',
        CLOUDSDK_PROXY_PORT: String(s.port),
      };
      for (const api of OVERRIDES) {
        env[`CLOUDSDK_API_ENDPOINT_OVERRIDES_${api.toUpperCase()}`] = `http://${api}.standin/`;
      }
      // gcloud compute's override names the API's version path too.
      env.CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE = 'http://compute.standin/compute/v1/';
      return { ...env, ...extra };
    },
    writes: () => s.calls.filter(isWrite),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  const routes = apis.flatMap((api) => api(s));

  const answer = (req: Request): Reply => {
    const fault = s.faults.find(
      (f) =>
        (f.times ?? 1) > 0 &&
        (!f.method || f.method === req.method) &&
        (!f.api || f.api === req.api) &&
        f.path.test(req.path),
    );
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      return googleError(fault.status, fault.message, fault.reason, fault.details);
    }
    const op = req.method === 'GET' && operations.get(req.path.replace(/^\/(v\w+\/)?/, ''));
    if (op) return { body: op };
    for (const [method, pattern, handle] of routes) {
      const m = req.path.match(pattern);
      if (m && method === req.method) return handle(req, m);
    }
    return googleError(404, `The stand-in has no route for ${req.method} ${req.api} ${req.path}.`);
  };

  const server = createServer(async (msg: IncomingMessage, res: ServerResponse) => {
    let text = '';
    for await (const chunk of msg) text += chunk;
    // Through a proxy the request line holds the absolute URL.
    const url = new URL(msg.url ?? '/', `http://${msg.headers.host}`);
    const host = url.hostname.match(/^(?:([a-z]+\d?-[a-z]+\d+)-)?([a-z]+)\.standin$/);
    let reply: Reply;
    if (!host)
      reply = googleError(400, `The stand-in serves *.standin hosts, not ${url.hostname}.`);
    else {
      const req: Request = {
        method: msg.method ?? 'GET',
        api: host[2] as string,
        region: host[1],
        path: decodeURIComponent(url.pathname),
        query: url.searchParams,
        body: text ? JSON.parse(text) : undefined,
      };
      s.calls.push({ method: req.method, api: req.api, path: req.path, body: req.body });
      try {
        reply = answer(req);
      } catch (err) {
        reply = googleError(500, `stand-in: ${(err as Error).stack}`);
      }
    }
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify(reply.body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  s.port = (server.address() as AddressInfo).port;
  return s;
}
