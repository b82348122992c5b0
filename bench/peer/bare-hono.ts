import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';

// The floor for any Hono app on @hono/node-server on this machine: a handler that answers a redirect and does nothing.
const app = new Hono();
app.get('/', (c) => c.redirect('http://127.0.0.1:9/callback?code=x', 302));
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${info.port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
