/**
 * The Node listener under hostile or unlucky clients (#15 item 5): keep-alive after a 413, keep-alive while
 * draining, a client that aborts its body, slow and piled-up connections. A real server, real sockets, undici.
 */
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.ts';
import { createLogger } from '../../src/observability/create-logger.ts';
import { createPinoLogger } from '../../src/observability/pino.ts';
import { startNodeServer, type RunningServer } from '../../src/runtime/node.ts';
import { startLegacyIssuer, type LegacyIssuer } from '../helpers/legacy-issuer.ts';
import { pollUntil } from '../helpers/poll-until.ts';
import { freePort } from '../helpers/ports.ts';
import { captureLogs } from '../helpers/stack.ts';

const SECRET = 'app-secret-0123456789';
const REDIRECT = 'http://localhost:7001/callback';

async function startBridge(legacy: LegacyIssuer, server: Record<string, unknown> = {}, keysCache: Record<string, unknown> = {}) {
  const port = await freePort();
  const config = validateConfig({
    issuer: `http://127.0.0.1:${port}`,
    server: { host: '127.0.0.1', port, ...server },
    identityProviders: [
      {
        id: 'legacy',
        issuer: legacy.url,
        keysEndpoint: legacy.jwksUrl,
        keysCache: { timeoutSeconds: 1, ...keysCache },
        jwtEndpoint: 'http://127.0.0.1:9/login/jwt',
        headerName: 'x-custom-tkn',
        allowAnyAudience: true,
        trustedProxy: 'none',
      },
    ],
    clients: [{ clientId: 'app', clientSecret: SECRET, redirectUris: [REDIRECT], identityProviders: ['legacy'] }],
  });
  const { logs, destination } = captureLogs();
  const bridge = await startNodeServer({ config, logger: createLogger(createPinoLogger, config, { destination }) });
  return { bridge, logs, base: bridge.url };
}

const closed = (socket: Socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

let legacy: LegacyIssuer;
beforeAll(async () => {
  legacy = await startLegacyIssuer({ alg: 'ES256' });
});
afterAll(() => legacy.close());

describe('keep-alive', () => {
  let bridge: RunningServer;
  let base: string;
  let logs: string[];
  beforeAll(async () => {
    ({ bridge, base, logs } = await startBridge(legacy));
  });
  afterAll(() => bridge.close());

  it('an oversized body gets 413 with Connection: close, and the next pooled request succeeds (3 of 3)', async () => {
    const agent = new Agent({ keepAliveTimeout: 30_000, connections: 1, pipelining: 1 });
    try {
      for (let round = 0; round < 3; round++) {
        const tooLarge = await request(`${base}/token`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `grant_type=authorization_code&code=${'a'.repeat(100 * 1024)}`,
        });
        expect(tooLarge.statusCode).toBe(413);
        expect(tooLarge.headers.connection).toBe('close');
        expect(await tooLarge.body.json()).toMatchObject({ error: 'invalid_request' });
        // Before the fix the 413 said keep-alive, the socket was then closed, and this request failed with ECONNRESET.
        const next = await request(`${base}/healthz`, { dispatcher: agent });
        expect(next.statusCode).toBe(200);
        await next.body.dump();
      }
    } finally {
      await agent.close();
    }
  });

  it('a chunked body (no Content-Length) is capped too, and a small chunked form is read', async () => {
    const chunked = (text: string) =>
      Readable.from(
        (function* () {
          for (let i = 0; i < text.length; i += 8192) yield Buffer.from(text.slice(i, i + 8192));
        })(),
      );
    const post = (body: string) =>
      request(`${base}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: chunked(body) });
    const tooLarge = await post(`grant_type=authorization_code&code=${'a'.repeat(100 * 1024)}`);
    expect(tooLarge.statusCode).toBe(413);
    expect(await tooLarge.body.json()).toMatchObject({ error: 'invalid_request', error_description: 'request body too large' });
    const small = await post(`grant_type=authorization_code&code=unknown&redirect_uri=${encodeURIComponent(REDIRECT)}&client_id=app&client_secret=${SECRET}`);
    expect(small.statusCode).toBe(400);
    expect(await small.body.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('oversized headers get 431 with the connection closed, and the next pooled request succeeds', async () => {
    const agent = new Agent({ keepAliveTimeout: 30_000, connections: 1 });
    try {
      for (let round = 0; round < 3; round++) {
        const tooLarge = await request(`${base}/healthz`, { dispatcher: agent, headers: { 'x-filler': 'f'.repeat(20 * 1024) } });
        expect(tooLarge.statusCode).toBe(431);
        expect(tooLarge.headers.connection).toBe('close');
        await tooLarge.body.dump();
        const next = await request(`${base}/healthz`, { dispatcher: agent });
        expect(next.statusCode).toBe(200);
        await next.body.dump();
      }
    } finally {
      await agent.close();
    }
  });

  it('a client that aborts its /token body is logged at info, without a stack', async () => {
    const socket = await open(bridge.port);
    socket.write(`POST /token HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 1000\r\n\r\ngrant_type=`);
    // The server starts reading the body; the client goes away before the rest of it.
    await new Promise((resolve) => socket.write('authorization_code', resolve));
    socket.destroy();
    await pollUntil(() => logs.some((line) => line.includes('"event":"request.aborted"')), { what: 'request.aborted logged' });
    const aborted = JSON.parse(logs.find((line) => line.includes('"event":"request.aborted"'))!);
    expect(aborted).toMatchObject({ level: 'info', path: '/token', reason: 'client_aborted' });
    expect(JSON.stringify(aborted)).not.toMatch(/stack|\bat \S+\.(ts|js|mjs):\d+/);
    expect(logs.filter((line) => ['error', 'fatal'].includes(JSON.parse(line).level))).toEqual([]);
  });
});

describe('draining (SIGTERM)', () => {
  it('in-flight answers say Connection: close; the next request makes a new connection, which is refused', async () => {
    const { bridge, base } = await startBridge(legacy);
    const agent = new Agent({ keepAliveTimeout: 30_000, connections: 1 });
    try {
      const authorize = await request(`${base}/authorize?client_id=app&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&scope=openid&state=s1`, {
        dispatcher: agent,
      });
      await authorize.body.dump();
      const id = new URL(String(authorize.headers.location)).searchParams.get('authRequestID')!;
      legacy.setMode('hang');
      const inFlight = request(`${base}/login/jwt?authRequestID=${id}`, { dispatcher: agent, headers: { 'x-custom-tkn': await legacy.mint({ sub: 'a' }) } });
      await legacy.waitForJwksRequests(legacy.requests.jwks + 1);
      const stopped = bridge.close();
      const answer = await inFlight;
      expect(answer.statusCode).toBe(302);
      // Before the fix: keep-alive, then the socket was closed under the client's next request (ECONNRESET).
      expect(answer.headers.connection).toBe('close');
      await answer.body.dump();
      await stopped;
      const next = request(`${base}/healthz`, { dispatcher: agent });
      await expect(next).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      legacy.setMode('ok');
      await agent.close();
    }
  });
  it('a request written on an idle keep-alive connection just after the signal is answered, not reset', async () => {
    const { bridge } = await startBridge(legacy);
    const healthz = 'GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n';
    const answered = (text: string) => text.split('HTTP/1.1 ').length - 1;
    const busy = await open(bridge.port);
    const idle = await open(bridge.port);
    let busyText = '';
    let busyError: string | undefined;
    busy.on('data', (chunk: Buffer) => (busyText += chunk.toString()));
    busy.on('error', (error: NodeJS.ErrnoException) => (busyError = error.code));
    idle.on('error', () => undefined).resume();
    busy.write(healthz);
    idle.write(healthz);
    await pollUntil(() => answered(busyText) === 1 && busyText.endsWith('}'), { what: 'first answer' });
    // Both connections are idle now. The client sends again at the moment the server starts draining.
    const stopped = bridge.close();
    busy.write(healthz);
    await closed(busy);
    // Before the fix server.close() destroyed idle connections at once: no second answer, ECONNRESET.
    expect(busyError).toBeUndefined();
    expect(answered(busyText)).toBe(2);
    const second = busyText.slice(busyText.lastIndexOf('HTTP/1.1 '));
    expect(second).toMatch(/^HTTP\/1\.1 200 /);
    expect(second.toLowerCase()).toContain('connection: close');
    // The connection that stays idle is closed after the linger, and close() resolves.
    await closed(idle);
    await stopped;
  });
});

describe('slow clients', () => {
  let bridge: RunningServer;
  beforeAll(async () => {
    ({ bridge } = await startBridge(legacy, { headersTimeoutSeconds: 1, requestTimeoutSeconds: 1, maxConnections: 3 }));
  });
  afterAll(() => bridge.close());

  it('a connection that never finishes its headers is closed after headersTimeoutSeconds', async () => {
    const socket = await open(bridge.port);
    socket.on('error', () => undefined);
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.write('GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ');
    // Before the fix Node waited 60 s (headersTimeout) checked every 30 s: this test timed out.
    await closed(socket);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('connections beyond maxConnections are refused at once', async () => {
    const held = await Promise.all([open(bridge.port), open(bridge.port), open(bridge.port)]);
    try {
      const extra = await open(bridge.port);
      extra.on('error', () => undefined);
      await closed(extra);
      expect(held.every((socket) => !socket.destroyed)).toBe(true);
    } finally {
      for (const socket of held) socket.destroy();
    }
  });
  it('requestTimeoutSeconds bounds receiving the request, not a slow answer (a 2.5 s Keys Endpoint wait)', async () => {
    const { bridge, base } = await startBridge(legacy, { headersTimeoutSeconds: 1, requestTimeoutSeconds: 1 }, { timeoutSeconds: 2.5 });
    const authorize = await fetch(`${base}/authorize?client_id=app&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&scope=openid&state=s1`, {
      redirect: 'manual',
    });
    const id = new URL(authorize.headers.get('location')!).searchParams.get('authRequestID')!;
    legacy.setMode('hang');
    try {
      const answer = await fetch(`${base}/login/jwt?authRequestID=${id}`, { headers: { 'x-custom-tkn': await legacy.mint({ sub: 'a' }) }, redirect: 'manual' });
      expect(answer.status).toBe(302);
      expect(new URL(answer.headers.get('location')!).searchParams.get('error')).toBe('temporarily_unavailable');
    } finally {
      legacy.setMode('ok');
      await bridge.close();
    }
  });
});
