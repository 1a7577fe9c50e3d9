// An OTLP/HTTP receiver for the tests: it accepts protobuf trace exports on
// /v1/traces, decodes them with OpenTelemetry's own generated protobuf
// classes, and keeps the spans with their ids in hex.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

const root = createRequire(import.meta.url)('otlp-proto/build/src/generated/root');
const { ExportTraceServiceRequest } = root.opentelemetry.proto.collector.trace.v1;

export interface ReceivedSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

interface KeyValue {
  key: string;
  value: Record<string, unknown>;
}

const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('hex');
const values = (list: KeyValue[] = []) =>
  Object.fromEntries(list.map(({ key, value }) => [key, Object.values(value)[0]]));

export async function otlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const contentTypes = new Set<string>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c);
    if (req.url !== '/v1/traces') return res.writeHead(404).end();
    contentTypes.add(String(req.headers['content-type']));
    const request = ExportTraceServiceRequest.toObject(
      ExportTraceServiceRequest.decode(Buffer.concat(chunks)),
      { longs: Number, enums: Number },
    );
    for (const rs of request.resourceSpans ?? []) {
      const resource = values(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? [])
        for (const s of ss.spans ?? [])
          spans.push({
            name: s.name,
            kind: s.kind,
            traceId: hex(s.traceId),
            spanId: hex(s.spanId),
            parentSpanId: hex(s.parentSpanId),
            attributes: values(s.attributes),
            resource,
          });
    }
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
