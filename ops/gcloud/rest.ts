// The one Google API runway calls without gcloud: Service Monitoring's
// services and service level objectives, for which gcloud (528, alpha and
// beta included) has no command. The calls go where gcloud's own would, as
// gcloud is set up: its endpoint for monitoring (api_endpoint_overrides, e.g.
// CLOUDSDK_API_ENDPOINT_OVERRIDES_MONITORING), its HTTP proxy and its access
// token. Google's error body becomes the same one-line GcloudError.
import http from 'node:http';
import https from 'node:https';
import { classify } from './errors.ts';
import { type FailureContext, type Gcloud, GcloudError } from './run.ts';

export interface Rest {
  method: 'GET' | 'POST' | 'PATCH';
  /** Below the API's root: v3/projects/P/services?serviceId=ID. */
  path: string;
  body?: unknown;
}
export type CallRest = <T>(r: Rest, c: FailureContext) => Promise<T>;

interface Config {
  api_endpoint_overrides?: { monitoring?: string };
  proxy?: { type?: string; address?: string; port?: string };
}

export const MONITORING_API = 'https://monitoring.googleapis.com/';

export function monitoringRest(g: Gcloud): CallRest {
  let setup: Promise<{ base: string; token: string; agent?: http.Agent }> | undefined;
  const ready = (c: FailureContext) => {
    setup ??= (async () => {
      const [config, token] = await Promise.all([
        g.json<Config>(['config', 'list', '--format=json'], c),
        g.must(['auth', 'print-access-token', '--quiet'], c),
      ]);
      const base = config?.api_endpoint_overrides?.monitoring ?? MONITORING_API;
      const p = config?.proxy;
      const proxy = p?.type === 'http' && p.address ? `http://${p.address}:${p.port}` : undefined;
      const Agent = base.startsWith('https:') ? https.Agent : http.Agent;
      const agent = proxy
        ? new Agent({ proxyEnv: { HTTP_PROXY: proxy, HTTPS_PROXY: proxy } })
        : undefined;
      return { base, token: token.stdout.trim(), agent };
    })();
    return setup;
  };
  return async <T>(r: Rest, c: FailureContext) => {
    const { base, token, agent } = await ready(c);
    const url = new URL(r.path, base);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const send = url.protocol === 'https:' ? https.request : http.request;
      const req = send(url, { method: r.method, agent, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end(r.body === undefined ? undefined : JSON.stringify(r.body));
    }).catch((err: Error) => {
      const why = `could not reach ${url.host}: ${err.message}`;
      const fix = 'check the network and any proxy, then run it again';
      throw new GcloudError({ kind: 'network', what: c.what, why, fix });
    });
    if (answer.status < 300) return JSON.parse(answer.text || '{}') as T;
    // The error body on one line, as gcloud prints one it cannot word itself.
    let body = answer.text.replaceAll('\n', ' ');
    try {
      body = JSON.stringify(JSON.parse(answer.text));
    } catch {}
    const stderr = `ERROR: ${body}`;
    throw new GcloudError(classify({ argv: [r.method, url.href], code: 1, stdout: '', stderr }, c));
  };
}
