// A TCP proxy in front of PostgreSQL that a test can cut and restore, to see
// what the service does while its database is unreachable.
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

export async function tcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  async function listen() {
    server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  }

  await listen();
  return {
    get port() {
      return port;
    },
    /** Refuses new connections and drops the open ones, as a failed database does. */
    async cut() {
      const closed = server ? once(server, 'close') : Promise.resolve();
      server?.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
    restore: listen,
    close() {
      for (const s of sockets) s.destroy();
      server?.close();
    },
  };
}
