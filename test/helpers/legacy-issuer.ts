/**
 * A fake legacy issuer for tests: keys generated at test time, token minting, and a JWKS + OIDC discovery server on
 * 127.0.0.1 (ephemeral port) that counts requests and can rotate keys, go down (500 or closed socket) or hang.
 *
 *   const issuer = await startLegacyIssuer({ alg: 'RS256' });
 *   const token = await issuer.mint({ sub: 'alice' });            // iss = issuer.url, iat = now, exp = now + 5 min
 *   await issuer.mint({ sub: 'bob', exp: undefined }, { header: { kid: 'other' } });
 *   await issuer.rotate(); issuer.setMode('down'); issuer.requests.jwks; await issuer.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { systemClock, type Clock } from '../../src/clock.ts';
import { validateConfig } from '../../src/config/parse.ts';
import type { Config, IdentityProviderConfig } from '../../src/config/schema.ts';

export type TestAlg = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

export interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** Public JWK with kid, alg and use. */
  publicJwk: JWK;
  /** The public key as an SPKI PEM ("-----BEGIN PUBLIC KEY-----"). */
  spki(): Promise<string>;
}

/** Generates a signing key pair; RSA keys are 2048 bits. */
export async function generateTestKey(alg: TestAlg = 'ES256', options: { kid?: string } = {}): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = options.kid ?? `${alg.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}`;
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, publicJwk, spki: () => exportSPKI(publicKey) };
}

/** base64url of a string, bytes, or (JSON-encoded) object: for hand-crafting hostile tokens. */
export function b64url(input: string | Uint8Array | object): string {
  const bytes = input instanceof Uint8Array ? input : new TextEncoder().encode(typeof input === 'string' ? input : JSON.stringify(input));
  return Buffer.from(bytes).toString('base64url');
}

/** Assembles a compact token from parts without signing anything (e.g. `alg: none`). */
export function craftToken(header: object | string, payload: object | string, signature: string | Uint8Array = ''): string {
  return `${b64url(header)}.${b64url(payload)}.${typeof signature === 'string' ? signature : b64url(signature)}`;
}

export interface MintOptions {
  /** Sign with this key (default: the issuer's current key); it need not be published. */
  key?: TestKey;
  /** Merged over `{ alg, kid, typ: 'JWT' }`; a value of undefined removes the member. */
  header?: Record<string, unknown>;
  /** Sign with raw key material instead (e.g. an HMAC secret with `header: { alg: 'HS256' }`). */
  signingKey?: CryptoKey | Uint8Array;
}

export type IssuerMode = 'ok' | 'down' | 'close' | 'hang' | 'garbage';

export interface LegacyIssuerOptions {
  /** Algorithm of the initial key (default ES256). */
  alg?: TestAlg;
  /** Time source for minted `iat`/`exp` (default: system clock). */
  clock?: Clock;
  /** Lifetime of minted tokens (default 300 s). */
  ttlSeconds?: number;
}

export interface LegacyIssuer {
  /** Base URL, also the `iss` of minted tokens (no trailing slash). */
  readonly url: string;
  readonly jwksUrl: string;
  readonly discoveryUrl: string;
  /** The key new tokens are signed with. */
  readonly key: TestKey;
  /** Public JWKs currently served. */
  jwks(): { keys: JWK[] };
  mint(claims?: Record<string, unknown>, options?: MintOptions): Promise<string>;
  /** Signs an arbitrary payload (not necessarily JSON) as a compact JWS. */
  signRaw(payload: string | Uint8Array, options?: Omit<MintOptions, 'signingKey'>): Promise<string>;
  /** New current key (same alg unless given); the previous keys stay published unless keepPrevious is false. */
  rotate(options?: { alg?: TestAlg; keepPrevious?: boolean }): Promise<TestKey>;
  /** Generates and publishes an extra key without making it current. */
  addKey(alg?: TestAlg, options?: { kid?: string }): Promise<TestKey>;
  /** Publishes any JWK as is (e.g. a weak key made with node:crypto). */
  publish(jwk: JWK): void;
  unpublish(kid: string): void;
  /** ok: normal; down: HTTP 500; close: drop the connection; hang: never answer; garbage: a 200 that is not JSON. */
  setMode(mode: IssuerMode): void;
  /** Members merged into the discovery document (e.g. a wrong `issuer`). */
  setDiscovery(overrides: Record<string, unknown>): void;
  /** Requests received, counted on arrival whatever the mode. */
  readonly requests: { jwks: number; discovery: number; total: number };
  resetRequests(): void;
  /** Resolves once the Keys Endpoint has received `count` requests in all (counted like `requests.jwks`). */
  waitForJwksRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startLegacyIssuer(options: LegacyIssuerOptions = {}): Promise<LegacyIssuer> {
  const clock = options.clock ?? systemClock;
  const ttl = options.ttlSeconds ?? 300;
  let current = await generateTestKey(options.alg ?? 'ES256');
  let published: JWK[] = [current.publicJwk];
  let mode: IssuerMode = 'ok';
  let discoveryOverrides: Record<string, unknown> = {};
  const requests = { jwks: 0, discovery: 0, total: 0 };
  const waiters: { count: number; resolve: () => void }[] = [];

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.total++;
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const isJwks = path === '/keys';
    const isDiscovery = path === '/.well-known/openid-configuration';
    if (isJwks) requests.jwks++;
    if (isDiscovery) requests.discovery++;
    if (isJwks) {
      for (const waiter of waiters.filter((w) => requests.jwks >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
    if (mode === 'hang') return; // left open; close() destroys it
    if (mode === 'close') return void req.socket.destroy();
    if (mode === 'down') return json(res, 500, { error: 'down' });
    if (mode === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('<html>oops</html>');
    if (isJwks) return json(res, 200, { keys: published });
    if (isDiscovery) return json(res, 200, { issuer: url, jwks_uri: `${url}/keys`, ...discoveryOverrides });
    return json(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function protectedHeader(key: TestKey, header: Record<string, unknown> = {}): Record<string, unknown> {
    const merged: Record<string, unknown> = { alg: key.alg, kid: key.kid, typ: 'JWT', ...header };
    for (const name of Object.keys(merged)) if (merged[name] === undefined) delete merged[name];
    return merged;
  }

  /** jose refuses to sign with an unrecognised `crit`; recognise whatever the test asks for. */
  function critOption(header: Record<string, unknown>): Record<string, boolean> | undefined {
    return Array.isArray(header.crit) ? Object.fromEntries(header.crit.map((name) => [String(name), true])) : undefined;
  }

  const issuer: LegacyIssuer = {
    url,
    jwksUrl: `${url}/keys`,
    discoveryUrl: `${url}/.well-known/openid-configuration`,
    get key() {
      return current;
    },
    jwks: () => ({ keys: structuredClone(published) }),
    async mint(claims = {}, mintOptions = {}) {
      const now = Math.floor(clock.now() / 1000);
      const payload: Record<string, unknown> = { iss: url, iat: now, exp: now + ttl, ...claims };
      for (const name of Object.keys(payload)) if (payload[name] === undefined) delete payload[name];
      const header = protectedHeader(mintOptions.key ?? current, mintOptions.header);
      const crit = critOption(header);
      return new SignJWT(payload)
        .setProtectedHeader(header as { alg: string })
        .sign(mintOptions.signingKey ?? (mintOptions.key ?? current).privateKey, crit ? { crit } : undefined);
    },
    async signRaw(payload, signOptions = {}) {
      const key = signOptions.key ?? current;
      const header = protectedHeader(key, signOptions.header);
      const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
      return new CompactSign(bytes).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
    },
    async rotate(rotateOptions = {}) {
      const next = await generateTestKey(rotateOptions.alg ?? (current.alg as TestAlg));
      published = rotateOptions.keepPrevious === false ? [next.publicJwk] : [...published, next.publicJwk];
      current = next;
      return next;
    },
    async addKey(alg = 'ES256', addOptions = {}) {
      const key = await generateTestKey(alg, addOptions);
      published.push(key.publicJwk);
      return key;
    },
    publish(jwk) {
      published.push(structuredClone(jwk));
    },
    unpublish(kid) {
      published = published.filter((jwk) => jwk.kid !== kid);
    },
    setMode(next) {
      mode = next;
    },
    setDiscovery(overrides) {
      discoveryOverrides = { ...overrides };
    },
    requests,
    waitForJwksRequests(count) {
      if (requests.jwks >= count) return Promise.resolve();
      return new Promise((resolve) => void waiters.push({ count, resolve }));
    },
    resetRequests() {
      requests.jwks = requests.discovery = requests.total = 0;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return issuer;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/**
 * A validated configuration whose single IdP trusts `issuer` through its keys endpoint. `idp` members are merged in
 * (set `keysEndpoint: undefined` together with `discoveryUrl` or `publicKeys` to use another key source).
 */
export function legacyTestConfig(issuer: Pick<LegacyIssuer, 'url' | 'jwksUrl'>, idp: Record<string, unknown> = {}): Config {
  return validateConfig({
    issuer: 'http://127.0.0.1:9',
    identityProviders: [
      {
        id: 'legacy',
        issuer: issuer.url,
        keysEndpoint: issuer.jwksUrl,
        jwtEndpoint: 'http://127.0.0.1:9/existing/auth-new',
        headerName: 'x-custom-tkn',
        // Test tokens carry no aud by default; the fail-closed keys are explicit (#9.3) unless the test sets them.
        ...(!('audiences' in idp) && !('allowAnyAudience' in idp) && { allowAnyAudience: true }),
        trustedProxy: 'none',
        ...idp,
      },
    ],
  });
}

/** The IdP entry of {@link legacyTestConfig}. */
export function legacyTestIdp(issuer: Pick<LegacyIssuer, 'url' | 'jwksUrl'>, idp: Record<string, unknown> = {}): IdentityProviderConfig {
  return legacyTestConfig(issuer, idp).identityProviders[0]!;
}
