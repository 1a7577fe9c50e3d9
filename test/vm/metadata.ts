// A local stand-in of the Compute Engine metadata server, as much of it as
// runway-agent reads: instance attributes (one, or all as JSON with
// ?recursive=true; ?wait_for_change=true&last_etag=E&timeout_sec=N answers
// when they change or after N s), the default service account's token, the
// project id, and guest attributes (PUT). Requests without
// `Metadata-Flavor: Google` get the 403 the real server gives.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startMetadata(project: string) {
  const attributes: Record<string, string> = {};
  const guest: Record<string, string> = {};
  const waiting = new Set<() => void>();
  const etag = () =>
    createHash('sha256').update(JSON.stringify(attributes)).digest('hex').slice(0, 16);
  const server = createServer(async (req, res) => {
    const send = (status: number, body: string, type = 'application/text') => {
      res.writeHead(status, { 'content-type': type, etag: etag() }).end(body);
    };
    if (req.headers['metadata-flavor'] !== 'Google') return send(403, 'Missing Metadata-Flavor');
    const url = new URL(req.url ?? '/', 'http://metadata');
    const path = url.pathname.replace(/^\/computeMetadata\/v1\//, '');
    if (req.method === 'PUT' && path.startsWith('instance/guest-attributes/')) {
      let body = '';
      for await (const chunk of req) body += chunk;
      guest[path.slice('instance/guest-attributes/'.length)] = body;
      return send(200, '');
    }
    if (path === 'project/project-id') return send(200, project);
    if (path === 'instance/service-accounts/default/token') {
      const token = { access_token: 'vm-access-token', expires_in: 3599, token_type: 'Bearer' };
      return send(200, JSON.stringify(token), 'application/json');
    }
    if (!path.startsWith('instance/attributes/')) return send(404, 'Not Found');
    const q = url.searchParams;
    if (q.get('wait_for_change') === 'true' && q.get('last_etag') === etag()) {
      const ms = Number(q.get('timeout_sec') ?? 60) * 1000;
      await new Promise<void>((done) => {
        const timer = setTimeout(done, ms);
        waiting.add(() => {
          clearTimeout(timer);
          done();
        });
      });
    }
    const name = path.slice('instance/attributes/'.length);
    if (name === '' && q.get('recursive') === 'true') {
      return send(200, JSON.stringify(attributes), 'application/json');
    }
    const value = attributes[name];
    return value === undefined ? send(404, 'Not Found') : send(200, value);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    /** For GCE_METADATA_HOST, as Google's client libraries read it. */
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    attributes,
    guest,
    set(name: string, value: string | undefined) {
      if (value === undefined) delete attributes[name];
      else attributes[name] = value;
      for (const wake of waiting) wake();
      waiting.clear();
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
