// A body over the limit is refused as soon as the limit is passed, often
// while the client is still writing it, and Fastify closes the connection
// after the 413. Closing a socket that still has unread data in it resets
// the connection, and a client still writing loses the 413 it was sent. So
// the rest of the body is read and discarded first, up to a cap.
import type { IncomingMessage } from 'node:http';

// Cloud Run refuses HTTP/1 requests larger than this before they arrive.
const DRAIN_MAX_BYTES = 32 * 1_048_576;

/** Resolves once the request's body has been read to its end, or would pass the cap. */
export function drainBody(request: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    const declared = Number(request.headers['content-length']);
    if (request.readableEnded || request.destroyed || declared > DRAIN_MAX_BYTES) return resolve();
    let left = DRAIN_MAX_BYTES;
    request.on('data', (chunk: Buffer) => {
      left -= chunk.length;
      if (left < 0) resolve();
    });
    request.once('end', resolve).once('close', resolve).once('error', resolve);
  });
}
