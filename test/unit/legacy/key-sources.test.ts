import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/clock.ts';
import { ConfigError } from '../../../src/config/errors.ts';
import { createLegacyVerifier, type LegacyVerification } from '../../../src/legacy/index.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import { pollUntil } from '../../helpers/poll-until.ts';
import { legacyTestIdp, startLegacyIssuer, type LegacyIssuer, type TestKey } from '../../helpers/legacy-issuer.ts';

const T0 = Date.UTC(2030, 5, 1, 8, 0, 0);
/** Cache settings used throughout, so the windows below are easy to follow. */
const keysCache = { timeoutSeconds: 2, maxAgeSeconds: 600, cooldownSeconds: 30, staleIfErrorSeconds: 300 };

function captureLogger() {
  const events: Record<string, unknown>[] = [];
  const at = (level: string) => (fields: Record<string, unknown>) => void events.push({ level, ...fields });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return { logger, events, named: (event: string) => events.filter((e) => e.event === event) };
}

function setup(issuer: LegacyIssuer, idp: Record<string, unknown> = {}) {
  const clock = createManualClock(T0);
  const log = captureLogger();
  const verifier = createLegacyVerifier(legacyTestIdp(issuer, { keysCache, ...idp }), { clock, logger: log.logger });
  const mint = (claims: Record<string, unknown> = {}, options?: Parameters<LegacyIssuer['mint']>[1]) => {
    const now = Math.floor(clock.now() / 1000);
    return issuer.mint({ sub: 'alice', iat: now, exp: now + 300, ...claims }, options);
  };
  /** Resolves once `count` fetch attempts have finished (refreshes past maxAge run in the background). */
  const attempts = (count: number) =>
    pollUntil(() => log.named('legacy.keys_fetched').length + log.named('legacy.keys_fetch_failed').length >= count, {
      what: `${count} key fetch attempts`,
    });
  return { clock, log, verifier, mint, attempts };
}

const outcome = (result: LegacyVerification) => (result.ok ? 'accepted' : result.reason);
const randomKid = () => `kid-${crypto.randomUUID()}`;

let issuer: LegacyIssuer;
beforeAll(async () => {
  issuer = await startLegacyIssuer({ alg: 'ES256' });
});
afterAll(() => issuer.close());
afterEach(() => {
  issuer.setMode('ok');
  issuer.setDiscovery({});
  issuer.resetRequests();
});

describe('keysEndpoint cache', () => {
  it('fetches once for many verifications, again after maxAge', async () => {
    const { verifier, mint, clock, log, attempts } = setup(issuer);
    for (let i = 0; i < 10; i++) expect(outcome(await verifier.verifyToken(await mint()))).toBe('accepted');
    expect(issuer.requests.jwks).toBe(1);
    clock.advance(keysCache.maxAgeSeconds * 1000);
    // Past maxAge the cached keys serve at once while the refresh runs in the background.
    expect(outcome(await verifier.verifyToken(await mint()))).toBe('accepted');
    await attempts(2);
    expect(issuer.requests.jwks).toBe(2);
    const fetched = log.named('legacy.keys_fetched');
    expect(fetched).toHaveLength(2);
    expect(fetched[0]).toMatchObject({ idp: 'legacy', url: issuer.jwksUrl, keys: 1 });
    expect(JSON.stringify(log.events)).not.toContain(String(issuer.key.publicJwk.x));
  });

  it('concurrent callers share one in-flight fetch', async () => {
    const { verifier, mint } = setup(issuer);
    const token = await mint();
    const results = await Promise.all(Array.from({ length: 20 }, () => verifier.verifyToken(token)));
    expect(results.map(outcome)).toEqual(Array(20).fill('accepted'));
    expect(issuer.requests.jwks).toBe(1);
  });

  it('builds the key source once, not per request', async () => {
    const { verifier, mint } = setup(issuer);
    await verifier.verifyHeaders(new Headers({ 'x-custom-tkn': await mint() }));
    await verifier.verifyHeaders(new Headers({ 'x-custom-tkn': await mint() }));
    expect(issuer.requests.jwks).toBe(1);
  });
});

describe('unknown kid', () => {
  let rotating: LegacyIssuer;
  beforeAll(async () => {
    rotating = await startLegacyIssuer({ alg: 'ES256' });
  });
  afterAll(() => rotating.close());

  it('after a rotation at the issuer: one refetch, then success (rate-limited right after a fetch)', async () => {
    const { verifier, mint, clock } = setup(rotating);
    expect(outcome(await verifier.verifyToken(await mint()))).toBe('accepted');
    expect(rotating.requests.jwks).toBe(1);
    await rotating.rotate({ keepPrevious: false });

    // Within the cooldown of the last fetch, the new kid is not fetched for.
    expect(outcome(await verifier.verifyToken(await mint()))).toBe('unknown_kid');
    expect(rotating.requests.jwks).toBe(1);

    clock.advance(keysCache.cooldownSeconds * 1000);
    const result = await verifier.verifyToken(await mint());
    expect(outcome(result)).toBe('accepted');
    expect(rotating.requests.jwks).toBe(2);
    expect(result.checks.find((c) => c.name === 'key')!.detail).toMatch(/refetched for an unknown kid/);
    // The refreshed set is cached again.
    expect(outcome(await verifier.verifyToken(await mint()))).toBe('accepted');
    expect(rotating.requests.jwks).toBe(2);
  });

  it('a flood of random kids costs at most one fetch per cooldown window', async () => {
    const { verifier, mint, clock } = setup(issuer);
    expect(outcome(await verifier.verifyToken(await mint()))).toBe('accepted');
    expect(issuer.requests.jwks).toBe(1);

    const flood = async () => {
      const tokens = await Promise.all(Array.from({ length: 50 }, () => mint({}, { header: { kid: randomKid() } })));
      return (await Promise.all(tokens.map((t) => verifier.verifyToken(t)))).map(outcome);
    };
    expect(await flood()).toEqual(Array(50).fill('unknown_kid'));
    expect(issuer.requests.jwks).toBe(1);

    clock.advance(keysCache.cooldownSeconds * 1000);
    expect(await flood()).toEqual(Array(50).fill('unknown_kid'));
    expect(issuer.requests.jwks).toBe(2);

    clock.advance(keysCache.cooldownSeconds * 1000 - 1);
    expect(await flood()).toEqual(Array(50).fill('unknown_kid'));
    expect(issuer.requests.jwks).toBe(2);

    clock.advance(1);
    expect(await flood()).toEqual(Array(50).fill('unknown_kid'));
    expect(issuer.requests.jwks).toBe(3);
    // Known kids keep working throughout.
    expect(outcome(await verifier.verifyToken(await mint()))).toBe('accepted');
  });
});

describe('endpoint failures', () => {
  it('down with a warm cache: stale keys within the bound, keys_unavailable after it', async () => {
    const { verifier, mint, clock, log, attempts } = setup(issuer);
    expect(outcome(await verifier.verifyToken(await mint()))).toBe('accepted');
    issuer.setMode('down');

    clock.advance(keysCache.maxAgeSeconds * 1000 + 1000); // expired 1 s ago
    const stale = await verifier.verifyToken(await mint());
    expect(outcome(stale)).toBe('accepted');
    expect(stale.checks.find((c) => c.name === 'key')!.detail).toMatch(/stale/);
    await attempts(2);
    expect(issuer.requests.jwks).toBe(2);
    expect(log.named('legacy.keys_fetch_failed')).toHaveLength(1);
    expect(log.named('legacy.keys_stale')).toEqual([expect.objectContaining({ level: 'warn', idp: 'legacy' })]);

    // No new attempt within the first retry delay (1 s) after a failure; stale keys still serve.
    clock.advance(999);
    expect(outcome(await verifier.verifyToken(await mint()))).toBe('accepted');
    expect(issuer.requests.jwks).toBe(2);

    // Just inside the stale bound (another attempt fails), then just past it.
    clock.set(T0 + (keysCache.maxAgeSeconds + keysCache.staleIfErrorSeconds) * 1000 - 1000);
    expect(outcome(await verifier.verifyToken(await mint()))).toBe('accepted');
    await attempts(3);
    expect(issuer.requests.jwks).toBe(3);
    clock.advance(keysCache.cooldownSeconds * 1000);
    const expired = await verifier.verifyToken(await mint());
    expect(outcome(expired)).toBe('keys_unavailable');
    expect(expired.ok || expired.detail).toMatch(/stale bound/);

    // Recovery: the next attempt after the retry delay succeeds.
    issuer.setMode('ok');
    clock.advance(keysCache.cooldownSeconds * 1000);
    expect(outcome(await verifier.verifyToken(await mint()))).toBe('accepted');
  });

  it('concurrent requests during a failed refresh log one stale event', async () => {
    const { verifier, mint, clock, log, attempts } = setup(issuer);
    expect(outcome(await verifier.verifyToken(await mint()))).toBe('accepted');
    issuer.setMode('down');
    clock.advance(keysCache.maxAgeSeconds * 1000 + 1000);
    const token = await mint();
    const results = await Promise.all(Array.from({ length: 10 }, () => verifier.verifyToken(token)));
    expect(results.map(outcome)).toEqual(Array(10).fill('accepted'));
    await attempts(2);
    expect(issuer.requests.jwks).toBe(2);
    expect(log.named('legacy.keys_stale')).toHaveLength(1);
  });

  it.each(['down', 'close'] as const)('%s with a cold cache: keys_unavailable, failing fast during the cooldown', async (mode) => {
    const { verifier, mint, clock } = setup(issuer);
    issuer.setMode(mode);
    const first = await verifier.verifyToken(await mint());
    expect(outcome(first)).toBe('keys_unavailable');
    expect(first.checks.at(-1)).toMatchObject({ name: 'key', ok: false });
    expect(issuer.requests.jwks).toBe(1);
    expect(outcome(await verifier.verifyToken(await mint()))).toBe('keys_unavailable');
    expect(issuer.requests.jwks).toBe(1);
    clock.advance(keysCache.cooldownSeconds * 1000);
    issuer.setMode('ok');
    expect(outcome(await verifier.verifyToken(await mint()))).toBe('accepted');
    expect(issuer.requests.jwks).toBe(2);
  });

  it('a hanging endpoint times out: keys_unavailable, by the configured timeout', async () => {
    const { verifier, mint } = setup(issuer, { keysCache: { ...keysCache, timeoutSeconds: 0.3 } });
    issuer.setMode('hang');
    const result = await verifier.verifyToken(await mint());
    expect(outcome(result)).toBe('keys_unavailable');
    expect(result.ok || result.detail).toMatch(/timed out after 0.3s/);
    expect(issuer.requests.jwks).toBe(1);
  });

  it('a redirect is not followed', async () => {
    const fetchRedirect: typeof fetch = async () => new Response(null, { status: 302, headers: { location: issuer.jwksUrl } });
    const clock = createManualClock(T0);
    const verifier = createLegacyVerifier(legacyTestIdp(issuer, { keysCache }), { clock, logger: captureLogger().logger, fetch: fetchRedirect });
    const result = await verifier.verifyToken(await issuer.mint({ sub: 'alice', iat: T0 / 1000, exp: T0 / 1000 + 60 }));
    expect(outcome(result)).toBe('keys_unavailable');
    expect(result.ok || result.detail).toMatch(/HTTP 302/);
  });

  it.each([
    ['not JSON', 'hello'],
    ['not a JWK set', '{"keys": 3}'],
    ['only private or symmetric keys', JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })],
  ])('a 200 that is %s → keys_unavailable', async (_name, body) => {
    const fetchBody: typeof fetch = async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    const clock = createManualClock(T0);
    const verifier = createLegacyVerifier(legacyTestIdp(issuer, { keysCache }), { clock, logger: captureLogger().logger, fetch: fetchBody });
    const result = await verifier.verifyToken(await issuer.mint({ sub: 'alice', iat: T0 / 1000, exp: T0 / 1000 + 60 }));
    expect(outcome(result)).toBe('keys_unavailable');
  });
});

describe('discovery', () => {
  const viaDiscovery = () => ({ keysEndpoint: undefined, discoveryUrl: issuer.discoveryUrl });

  it('uses the jwks_uri of the discovery document, both cached', async () => {
    const { verifier, mint } = setup(issuer, viaDiscovery());
    for (let i = 0; i < 3; i++) expect(outcome(await verifier.verifyToken(await mint()))).toBe('accepted');
    expect(issuer.requests).toMatchObject({ discovery: 1, jwks: 1 });
  });

  it('an issuer mismatch in the discovery document → keys_unavailable', async () => {
    issuer.setDiscovery({ issuer: `${issuer.url}/` });
    const { verifier, mint } = setup(issuer, viaDiscovery());
    const result = await verifier.verifyToken(await mint());
    expect(outcome(result)).toBe('keys_unavailable');
    expect(result.ok || result.detail).toMatch(/names issuer/);
    expect(issuer.requests).toMatchObject({ discovery: 1, jwks: 0 });
  });

  it('a jwks_uri that is neither https nor loopback → keys_unavailable', async () => {
    issuer.setDiscovery({ jwks_uri: 'http://keys.example.com/jwks' });
    const { verifier, mint } = setup(issuer, viaDiscovery());
    expect(outcome(await verifier.verifyToken(await mint()))).toBe('keys_unavailable');
    expect(issuer.requests.jwks).toBe(0);
  });
});

describe('static keys', () => {
  let rsa: TestKey;
  let ed: TestKey;
  beforeAll(async () => {
    rsa = await issuer.addKey('RS256');
    ed = await issuer.addKey('EdDSA');
  });

  it('a JWK with a kid only serves that kid', async () => {
    const { verifier, mint } = setup(issuer, { keysEndpoint: undefined, publicKeys: [{ ...issuer.key.publicJwk }] });
    expect(outcome(await verifier.verifyToken(await mint({}, { header: { kid: 'other' } })))).toBe('unknown_kid');
  });

  it.each([
    ['a JWK', () => ({ key: issuer.key, publicKeys: [issuer.key.publicJwk] })],
    ['a JWK without alg', () => ({ key: issuer.key, publicKeys: [{ ...issuer.key.publicJwk, alg: undefined }] })],
  ])('%s', async (_name, make) => {
    const { key, publicKeys } = make();
    const { verifier, mint } = setup(issuer, { keysEndpoint: undefined, publicKeys: publicKeys.map((k) => JSON.parse(JSON.stringify(k))) });
    expect(outcome(await verifier.verifyToken(await mint({}, { key })))).toBe('accepted');
    expect(issuer.requests.total).toBe(0);
  });

  it('PEM keys (RSA and Ed25519), with and without kid in the token', async () => {
    const { verifier, mint } = setup(issuer, { keysEndpoint: undefined, publicKeys: [await rsa.spki(), await ed.spki()] });
    expect(outcome(await verifier.verifyToken(await mint({}, { key: rsa })))).toBe('accepted');
    expect(outcome(await verifier.verifyToken(await mint({}, { key: ed, header: { kid: undefined } })))).toBe('accepted');
    // A PEM carries no kid: it serves whatever kid the token names.
    expect(outcome(await verifier.verifyToken(await mint({}, { key: ed, header: { kid: 'named' } })))).toBe('accepted');
    // No configured key fits an ES256 token.
    expect(outcome(await verifier.verifyToken(await mint({}, { key: issuer.key, header: { kid: undefined } })))).toBe('unknown_kid');
    expect(outcome(await verifier.verifyToken(await mint({}, { key: issuer.key })))).toBe('unknown_kid');
    expect(issuer.requests.total).toBe(0);
  });

  it('several candidate keys without kid: the one that verifies wins', async () => {
    const other = await startLegacyIssuer({ alg: 'ES256' });
    try {
      const { verifier, mint } = setup(issuer, {
        keysEndpoint: undefined,
        publicKeys: [other.key.publicJwk, issuer.key.publicJwk].map((k) => ({ ...k, kid: undefined })),
      });
      const result = await verifier.verifyToken(await mint({}, { header: { kid: undefined } }));
      expect(outcome(result)).toBe('accepted');
      expect(result.checks.find((c) => c.name === 'key')!.detail).toMatch(/2 candidate keys/);
      const forged = await other.mint({ iss: issuer.url, sub: 'x', iat: T0 / 1000, exp: T0 / 1000 + 60 }, { header: { kid: undefined } });
      expect(outcome(await verifier.verifyToken(forged))).toBe('accepted'); // other's key is configured too
    } finally {
      await other.close();
    }
  });

  it('refuses unusable static keys at construction', () => {
    const make = (publicKeys: unknown[]) => () =>
      createLegacyVerifier(legacyTestIdp(issuer, { keysEndpoint: undefined, publicKeys }), { clock: createManualClock(T0), logger: captureLogger().logger });
    expect(make([{ ...issuer.key.publicJwk, alg: 'ES512' }])).toThrow(ConfigError);
    expect(make([{ kty: 'oct', k: 'c2VjcmV0' }])).toThrow(/asymmetric/);
    expect(make(['-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----'])).toThrow(ConfigError);
  });

  it('a PEM that does not import → keys_unavailable', async () => {
    const { verifier, mint } = setup(issuer, { keysEndpoint: undefined, publicKeys: ['-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----'] });
    expect(outcome(await verifier.verifyToken(await mint()))).toBe('keys_unavailable');
  });
});
