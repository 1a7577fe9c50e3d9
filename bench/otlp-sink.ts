// A local OTLP/HTTP receiver for the traced runway targets of the benchmark:
// it reads and discards each export and answers 200, as a collector would,
// and on SIGTERM prints how many exports and bytes it took.
//
//   node bench/otlp-sink.ts PORT
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
let exports = 0;
let bytes = 0;
const server = createServer(async (req, res) => {
  for await (const chunk of req) bytes += chunk.length;
  exports++;
  res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  console.log(`otlp sink: ${exports} exports, ${(bytes / 1024).toFixed(0)} KiB`);
  process.exit(0);
});
