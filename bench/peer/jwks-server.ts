import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

// The fake legacy issuer's Keys Endpoint, in its own process so that a JWKS fetch per login (the ZITADEL-style run)
// is served like a real remote endpoint and not by the load generator's event loop. The JWKS comes in BENCH_JWKS;
// the bench mints the legacy tokens itself. Prints {"url": ...} once listening.
const body = process.env.BENCH_JWKS ?? '{"keys":[]}';
let requests = 0;
const server = createServer((req, res) => {
  if (req.url === '/keys') {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    return void res.end(body);
  }
  if (req.url === '/count') return void res.end(String(requests));
  res.writeHead(404).end();
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
