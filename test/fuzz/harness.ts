/**
 * The fuzzing harness (#15 item 3): the real app (composeBridge) driven in-process through `app.request`, on the
 * memory store or a real Redis, with a store wrapper that records every write, and the checks every response must
 * pass whatever was sent. A fuzzer per endpoint lives in endpoints.ts; add one there for a new endpoint.
 */
import { expect } from 'vitest';
import { createManualClock } from '../../src/clock.ts';
import { validateConfig } from '../../src/config/parse.ts';
import { generateSigningJwk } from '../../src/keys/signing-keys.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { composeBridge, type Bridge } from '../../src/runtime/compose.ts';
import { createMemoryStore } from '../../src/storage/memory.ts';
import type { Store } from '../../src/storage/port.ts';
import { createRedisStore } from '../../src/storage/redis.ts';
import { startLegacyIssuer, type LegacyIssuer } from '../helpers/legacy-issuer.ts';
import { deleteKeys, REDIS_URL } from '../helpers/stack.ts';

export const ISSUER = 'https://accounts.example.com';
export const WEB = { clientId: 'web-app', secret: 'web-app-secret-0123456789', redirectUri: 'https://app.example.com/cb' };
export const SPA = { clientId: 'spa', redirectUri: 'https://spa.example.com/cb' };
export const LEGACY_HEADER = 'x-custom-tkn';
export const CHANNEL: Record<string, 'front' | 'back'> = {
  '/authorize': 'front',
  '/login/jwt': 'front',
  '/login/jwt/callback': 'front',
  '/end_session': 'front',
  '/token': 'back',
  '/userinfo': 'back',
  '/introspect': 'back',
  '/revoke': 'back',
  '/device_authorization': 'back',
  '/device': 'front',
};
export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** A public device client (unauthenticated starts, bounded per minute) and a confidential one. */
export const CLI = { clientId: 'cli' };
export const CLI_CONFIDENTIAL = { clientId: 'cli-confidential', secret: 'cli-confidential-secret-0123456789' };
/** A confidential client with both token exchange paths (legacy JWT, ID-JAG). */
export const EXCHANGE = { clientId: 'exchange-app', secret: 'exchange-app-secret-0123456789', audience: 'https://as.example.com' };
/** `device.startsPerMinutePerClient` of the fuzz target (the default). */
export const DEVICE_STARTS_PER_MINUTE = 60;

/** Total generated requests for a run: FUZZ_RUNS (default 100,000, spread over endpoints and stores). */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 100_000);

export interface FuzzTarget {
  bridge: Bridge;
  legacy: LegacyIssuer;
  clock: ReturnType<typeof createManualClock>;
  /** Writes (set, setIfAbsent that won, compareAndSwap to a value) since the last `takeWrites()`. */
  takeWrites(): string[];
  /** Keys the store holds under its prefix (a full count: use between batches, not per request). */
  countKeys(): Promise<number>;
  /** Requests sent, for the run's total. */
  sent: number;
  /** Accepted requests that wrote to the store (a real login registers its user): batches without any must not grow it. */
  acceptedWrites: number;
  /** Writes that rejected requests made under `allowedWrites` (each creates at most one key): a batch's bound. */
  boundedWrites: number;
  /** Answers by "path status" (the run's report). */
  statuses: Map<string, number>;
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** Records writes that create or change a record; deletes are always allowed (a rejection may delete state). */
function recordingStore(inner: Store, writes: string[]): Store {
  return {
    get: (key) => inner.get(key),
    async set(key, value, options) {
      writes.push(`set ${key}`);
      return inner.set(key, value, options);
    },
    async setIfAbsent(key, value, options) {
      const won = await inner.setIfAbsent(key, value, options);
      if (won) writes.push(`setIfAbsent ${key}`);
      return won;
    },
    getAndDelete: (key) => inner.getAndDelete(key),
    async compareAndSwap(key, expected, next, options) {
      const swapped = await inner.compareAndSwap(key, expected, next, options);
      if (swapped && next !== null) writes.push(`compareAndSwap ${key}`);
      return swapped;
    },
    delete: (key) => inner.delete(key),
    list: (prefix) => inner.list(prefix),
    ping: () => inner.ping(),
    close: () => inner.close(),
    ...(Object.fromEntries(
      Object.entries(inner).filter(
        ([name]) => !['get', 'set', 'setIfAbsent', 'getAndDelete', 'compareAndSwap', 'delete', 'list', 'ping', 'close'].includes(name),
      ),
    ) as object),
  } as Store;
}

export async function startFuzzTarget(kind: 'memory' | 'redis'): Promise<FuzzTarget> {
  const clock = createManualClock(Date.now());
  const legacy = await startLegacyIssuer({ alg: 'ES256', clock });
  const keyPrefix = `fuzz:${crypto.randomUUID()}:`;
  const config = validateConfig({
    issuer: ISSUER,
    store: kind === 'redis' ? { type: 'redis', url: REDIS_URL, keyPrefix } : { type: 'memory' },
    identityProviders: [
      {
        id: 'legacy',
        issuer: legacy.url,
        keysEndpoint: legacy.jwksUrl,
        jwtEndpoint: 'https://apps.example.com/existing/auth-new',
        headerName: LEGACY_HEADER,
        audiences: ['jwt-idp-bridge'],
        trustedProxy: 'none',
        logoutUrl: 'https://apps.example.com/logout',
      },
    ],
    clients: [
      {
        clientId: WEB.clientId,
        clientSecret: WEB.secret,
        redirectUris: [WEB.redirectUri],
        postLogoutRedirectUris: ['https://app.example.com/bye'],
        identityProviders: ['legacy'],
        grantTypes: ['authorization_code', 'refresh_token'],
      },
      { clientId: SPA.clientId, redirectUris: [SPA.redirectUri], identityProviders: ['legacy'], tokenEndpointAuthMethod: 'none' },
      { clientId: CLI.clientId, identityProviders: ['legacy'], grantTypes: [DEVICE_GRANT, 'refresh_token'] },
      { clientId: CLI_CONFIDENTIAL.clientId, clientSecret: CLI_CONFIDENTIAL.secret, identityProviders: ['legacy'], grantTypes: [DEVICE_GRANT] },
      {
        clientId: EXCHANGE.clientId,
        clientSecret: EXCHANGE.secret,
        redirectUris: ['https://exchange.example.com/cb'],
        identityProviders: ['legacy'],
        grantTypes: ['authorization_code', 'refresh_token'],
        tokenExchange: { legacyJwt: true, allowRefreshToken: true, idJag: { audiences: [EXCHANGE.audience], scopes: ['todos.read'] } },
      },
    ],
    device: { startsPerMinutePerClient: DEVICE_STARTS_PER_MINUTE },
    resourceServers: [{ id: 'api', secret: 'api-secret-0123456789' }],
  });
  const inner = kind === 'redis' ? createRedisStore({ url: REDIS_URL, keyPrefix, logger: silentLogger }) : createMemoryStore({ clock });
  const writes: string[] = [];
  const store = recordingStore(inner, writes);
  // Keys served without a socket per request: the fuzzer measures the bridge, not the loopback.
  const fetchKeys: typeof fetch = async () => new Response(JSON.stringify(legacy.jwks()), { status: 200, headers: { 'content-type': 'application/json' } });
  const bridge = await composeBridge({ config, clock, logger: silentLogger, store, signingJwks: [await generateSigningJwk('RS256')], fetch: fetchKeys });
  const target: FuzzTarget = {
    bridge,
    legacy,
    clock,
    sent: 0,
    acceptedWrites: 0,
    boundedWrites: 0,
    statuses: new Map(),
    takeWrites: () => writes.splice(0),
    countKeys: async () => (await inner.list('')).length,
    async request(path, init) {
      target.sent++;
      return bridge.app.request(`${ISSUER}${path}`, init);
    },
    async close() {
      await store.close();
      await legacy.close();
      if (kind === 'redis') await deleteKeys(keyPrefix);
    },
  };
  return target;
}

const STACK_TRACE = /\n\s+at \S+ \(|\bat [^\s]+\.(ts|js|mjs|cjs):\d+|node:internal|TypeError|ReferenceError|SyntaxError: /;

/** Whether a response rejected the request: a 4xx, or a redirect carrying an OAuth error. */
export function isRejection(response: Response): boolean {
  if (response.status >= 400) return true;
  const location = response.headers.get('location');
  return location !== null && /[?&#]error=/.test(location);
}

/**
 * What every answer must be, whatever was sent: below 500; no stack trace; a back-channel 4xx is a JSON OAuth error
 * (or a bare RFC 6750 challenge); a front-channel 4xx is an HTML page; an error redirect names an `error`.
 */
export async function checkResponse(path: string, response: Response, input: unknown): Promise<void> {
  const body = await response.text();
  const context = () => `${path} → ${response.status}\ninput: ${JSON.stringify(input)?.slice(0, 2000)}\nbody: ${body.slice(0, 500)}`;
  expect(response.status, context()).toBeLessThan(500);
  expect(STACK_TRACE.test(body), context()).toBe(false);
  const channel = CHANNEL[path.split('?')[0]!] ?? 'back';
  const type = response.headers.get('content-type') ?? '';
  if (response.status >= 400) {
    if (channel === 'back' || response.status === 405) {
      if (response.status === 401 && !body) {
        expect(response.headers.get('www-authenticate'), context()).toMatch(/^Bearer /);
        return;
      }
      expect(type, context()).toMatch(/application\/json/);
      const error = JSON.parse(body) as Record<string, unknown>;
      expect(typeof error.error === 'string' && /^[a-z_]+$/.test(error.error), context()).toBe(true);
      if (error.error_description !== undefined) expect(typeof error.error_description, context()).toBe('string');
    } else {
      expect(type, context()).toMatch(/text\/html/);
    }
  } else if (response.status >= 300) {
    const location = response.headers.get('location');
    expect(location, context()).toBeTruthy();
    if (/[?&#]error=/.test(location!))
      expect(new URL(location!).searchParams.get('error') ?? new URLSearchParams(new URL(location!).hash.slice(1)).get('error'), context()).toMatch(
        /^[a-z_]+$/,
      );
  }
}

/**
 * Sends one generated request and checks the answer, and that a rejected request wrote nothing. `allowedWrites`
 * names the writes a rejection may legitimately make, each bounded by design: the counters of a rate limit, or the
 * polling bookkeeping (lastPolledAt, interval) of an existing device record. They never create a record otherwise.
 */
export async function fuzzOne(target: FuzzTarget, path: string, init: RequestInit, input: unknown, allowedWrites?: RegExp): Promise<Response> {
  target.takeWrites();
  const response = await target.request(path, init);
  const copy = response.clone();
  const label = `${path.split('?')[0]} ${response.status}`;
  target.statuses.set(label, (target.statuses.get(label) ?? 0) + 1);
  await checkResponse(path, response, input);
  const writes = target.takeWrites();
  const unexpected = allowedWrites ? writes.filter((write) => !allowedWrites.test(write)) : writes;
  if (isRejection(copy)) {
    expect(unexpected, `${path} → ${copy.status} wrote to the store\ninput: ${JSON.stringify(input)?.slice(0, 2000)}`).toEqual([]);
    target.boundedWrites += writes.length;
  } else if (writes.length) target.acceptedWrites++;
  return copy;
}
