import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/clock.ts';
import { createLegacyVerifier, type LegacyVerification } from '../../../src/legacy/index.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { legacyTestIdp, startLegacyIssuer, type LegacyIssuer } from '../../helpers/legacy-issuer.ts';

const T0 = Date.UTC(2030, 5, 1, 8, 0, 0);
const MiB = 1024 * 1024;
const outcome = (result: LegacyVerification) => (result.ok ? 'accepted' : result.reason);

/**
 * A loopback server whose every answer is an endless JSON-looking body, written lazily (the next chunk only once the
 * previous one drained). It gives up at `limit` bytes, so a client that reads everything still finishes. `closed`
 * resolves with the bytes written when the client closes the connection (or the body ended).
 */
interface FloodServer {
  url: string;
  next(): Promise<number>;
  close(): Promise<void>;
}

async function startFloodServer(options: { limit: number; contentLength?: number; discovery?: (url: string) => string }): Promise<FloodServer> {
  const waiters: ((bytes: number) => void)[] = [];
  const finished: number[] = [];
  const report = (bytes: number) => {
    const waiter = waiters.shift();
    if (waiter) waiter(bytes);
    else finished.push(bytes);
  };
  let url = '';
  const server: Server = createServer((req, res: ServerResponse) => {
    if (options.discovery && req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(options.discovery(url));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', ...(options.contentLength && { 'content-length': String(options.contentLength) }) });
    const chunk = Buffer.alloc(64 * 1024, ' ');
    let sent = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      report(sent);
    };
    res.once('close', finish);
    const pump = () => {
      while (!done && sent < options.limit) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!done) res.end(finish);
    };
    res.write('{"keys":[');
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    next: () => (finished.length ? Promise.resolve(finished.shift()!) : new Promise((resolve) => waiters.push(resolve))),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let issuer: LegacyIssuer;
beforeAll(async () => {
  issuer = await startLegacyIssuer({ alg: 'ES256' });
});
afterAll(() => issuer.close());
afterEach(() => {
  issuer.setDiscovery({});
  issuer.resetRequests();
});

function verifierFor(idp: Record<string, unknown>) {
  const clock = createManualClock(T0);
  const verifier = createLegacyVerifier(legacyTestIdp(issuer, { keysCache: { timeoutSeconds: 60 }, ...idp }), { clock, logger: silentLogger });
  const mint = () => issuer.mint({ sub: 'alice', iat: T0 / 1000, exp: T0 / 1000 + 300 });
  return { verifier, mint };
}

describe('response size cap (#9.4): the body is streamed and the read stops at 512 KiB', () => {
  let flood: FloodServer;
  afterEach(() => flood?.close());

  it('an endless Keys Endpoint body: keys_unavailable, and the client closes the connection early', async () => {
    flood = await startFloodServer({ limit: 256 * MiB });
    const { verifier, mint } = verifierFor({ keysEndpoint: `${flood.url}/keys` });
    const result = await verifier.verifyToken(await mint());
    expect(outcome(result)).toBe('keys_unavailable');
    expect(result.ok || result.detail).toMatch(/larger than 524288 bytes/);
    expect(await flood.next()).toBeLessThan(4 * MiB);
  });

  it('an endless discovery document: keys_unavailable, connection closed early, no key fetch', async () => {
    flood = await startFloodServer({ limit: 256 * MiB });
    const { verifier, mint } = verifierFor({ keysEndpoint: undefined, discoveryUrl: `${flood.url}/.well-known/openid-configuration` });
    const result = await verifier.verifyToken(await mint());
    expect(outcome(result)).toBe('keys_unavailable');
    expect(result.ok || result.detail).toMatch(/discovery document .* larger than 524288 bytes/);
    expect(await flood.next()).toBeLessThan(4 * MiB);
  });

  it('an endless jwks_uri named by discovery: the same', async () => {
    flood = await startFloodServer({ limit: 256 * MiB, discovery: (url) => JSON.stringify({ issuer: issuer.url, jwks_uri: `${url}/jwks` }) });
    const { verifier, mint } = verifierFor({ keysEndpoint: undefined, discoveryUrl: `${flood.url}/.well-known/openid-configuration` });
    const result = await verifier.verifyToken(await mint());
    expect(outcome(result)).toBe('keys_unavailable');
    expect(await flood.next()).toBeLessThan(4 * MiB);
  });

  it('a declared Content-Length over the cap is refused before reading', async () => {
    flood = await startFloodServer({ limit: 64 * MiB, contentLength: 64 * MiB + 9 });
    const { verifier, mint } = verifierFor({ keysEndpoint: `${flood.url}/keys` });
    expect(outcome(await verifier.verifyToken(await mint()))).toBe('keys_unavailable');
    expect(await flood.next()).toBeLessThan(4 * MiB);
  });
});

describe('discovery jwks_uri origin (#9.4)', () => {
  const viaDiscovery = (extra: Record<string, unknown> = {}) => ({ keysEndpoint: undefined, discoveryUrl: issuer.discoveryUrl, ...extra });
  const otherOrigin = () => issuer.jwksUrl.replace('://127.0.0.1:', '://localhost:');

  it('a jwks_uri on another origin than the discovery URL is refused, and never fetched', async () => {
    issuer.setDiscovery({ jwks_uri: otherOrigin() });
    const { verifier, mint } = verifierFor(viaDiscovery());
    const result = await verifier.verifyToken(await mint());
    expect(outcome(result)).toBe('keys_unavailable');
    expect(result.ok || result.detail).toMatch(/jwks_uri is on origin http:\/\/localhost:\d+, not allowed \(add it to jwksUriOrigins\)/);
    expect(issuer.requests.jwks).toBe(0);
  });

  it('jwksUriOrigins allows that origin', async () => {
    issuer.setDiscovery({ jwks_uri: otherOrigin() });
    const { verifier, mint } = verifierFor(viaDiscovery({ jwksUriOrigins: [new URL(otherOrigin()).origin] }));
    expect(outcome(await verifier.verifyToken(await mint()))).toBe('accepted');
    expect(issuer.requests.jwks).toBe(1);
  });
});

describe('in-flight fetch sharing is an explicit option (#8.6)', () => {
  it('shared by default; with shareInflightFetches: false each concurrent caller fetches itself', async () => {
    const idp = legacyTestIdp(issuer, { keysCache: { timeoutSeconds: 5 } });
    const token = await issuer.mint({ sub: 'alice', iat: T0 / 1000, exp: T0 / 1000 + 300 });
    const shared = createLegacyVerifier(idp, { clock: createManualClock(T0), logger: silentLogger });
    expect((await Promise.all(Array.from({ length: 4 }, () => shared.verifyToken(token)))).map(outcome)).toEqual(Array(4).fill('accepted'));
    expect(issuer.requests.jwks).toBe(1);
    issuer.resetRequests();
    const own = createLegacyVerifier(idp, { clock: createManualClock(T0), logger: silentLogger, shareInflightFetches: false });
    expect((await Promise.all(Array.from({ length: 4 }, () => own.verifyToken(token)))).map(outcome)).toEqual(Array(4).fill('accepted'));
    expect(issuer.requests.jwks).toBe(4);
  });
});
