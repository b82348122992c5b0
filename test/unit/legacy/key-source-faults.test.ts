/**
 * Keys Endpoint faults found by fault testing (#15 item 5): poisoned key sets, the failure cooldown, and a hanging
 * endpoint while stale keys are usable. Each test fails on the key source before these fixes.
 */
import type { JWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/clock.ts';
import { createLegacyVerifier, type LegacyVerification } from '../../../src/legacy/index.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import { generateTestKey, legacyTestIdp, startLegacyIssuer, type LegacyIssuer } from '../../helpers/legacy-issuer.ts';
import { pollUntil } from '../../helpers/poll-until.ts';

const T0 = Date.UTC(2030, 5, 1, 8, 0, 0);
const keysCache = { timeoutSeconds: 2, maxAgeSeconds: 600, cooldownSeconds: 30, staleIfErrorSeconds: 300 };

function captureLogger() {
  const events: Record<string, unknown>[] = [];
  const at = (level: string) => (fields: Record<string, unknown>) => void events.push({ level, ...fields });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return { logger, events, named: (event: string) => events.filter((e) => e.event === event) };
}

function setup(issuer: LegacyIssuer, cache: Partial<typeof keysCache> = {}) {
  const clock = createManualClock(T0);
  const log = captureLogger();
  const verifier = createLegacyVerifier(legacyTestIdp(issuer, { keysCache: { ...keysCache, ...cache } }), { clock, logger: log.logger });
  const mint = () => {
    const now = Math.floor(clock.now() / 1000);
    return issuer.mint({ sub: 'alice', iat: now, exp: now + 300 });
  };
  const verify = async () => outcome(await verifier.verifyToken(await mint()));
  const attempts = (count: number) =>
    pollUntil(() => log.named('legacy.keys_fetched').length + log.named('legacy.keys_fetch_failed').length >= count, {
      what: `${count} key fetch attempts`,
    });
  return { clock, log, verifier, mint, verify, attempts };
}

const outcome = (result: LegacyVerification) => (result.ok ? 'accepted' : result.reason);

/** The issuer's current public key with its `x` coordinate damaged: a point off the curve, so it cannot be imported. */
function corrupted(jwk: JWK): JWK {
  const x = jwk.x!;
  return { ...jwk, x: `${x[0] === 'A' ? 'B' : 'A'}${x.slice(1)}` };
}

let issuer: LegacyIssuer;
let good: JWK;
beforeAll(async () => {
  issuer = await startLegacyIssuer({ alg: 'ES256' });
  good = structuredClone(issuer.key.publicJwk);
});
afterAll(() => issuer.close());
afterEach(() => {
  issuer.setMode('ok');
  for (const jwk of issuer.jwks().keys) issuer.unpublish(jwk.kid!);
  issuer.publish(good);
  issuer.resetRequests();
});

/** Replaces the published set. */
function serve(...keys: JWK[]) {
  for (const jwk of issuer.jwks().keys) issuer.unpublish(jwk.kid!);
  for (const jwk of keys) issuer.publish(jwk);
}

describe('poisoned key set', () => {
  it('a key that does not import never enters the cache: logins recover one retry delay after the endpoint is fixed', async () => {
    const { verify, clock, log } = setup(issuer);
    serve(corrupted(good));
    expect(await verify()).toBe('keys_unavailable');
    expect(log.named('legacy.keys_fetch_failed')[0]).toMatchObject({ error: expect.stringMatching(/does not import/) });
    serve(good);
    clock.advance(1000); // before the fix: cached for maxAgeSeconds (600 s), every login refused meanwhile
    expect(await verify()).toBe('accepted');
    expect(issuer.requests.jwks).toBe(2);
  });

  it('a corrupt key next to good ones is dropped, the good ones serve', async () => {
    const other = await generateTestKey('ES256');
    const { verify, log } = setup(issuer);
    serve(corrupted({ ...other.publicJwk }), good);
    expect(await verify()).toBe('accepted');
    expect(log.named('legacy.keys_fetched')[0]).toMatchObject({ keys: 1, dropped: [expect.stringMatching(/does not import/)] });
  });

  it('another valid key under the right kid: a signature failure past the cooldown refetches once and retries', async () => {
    const impostor = await generateTestKey('ES256', { kid: good.kid! });
    const { verify, clock, log, verifier } = setup(issuer);
    serve(impostor.publicJwk);
    expect(await verify()).toBe('signature_invalid');
    serve(good);
    // Within the cooldown after the fetch the signature failure refetches nothing (a forged token cannot force fetches).
    expect(await verify()).toBe('signature_invalid');
    expect(issuer.requests.jwks).toBe(1);
    clock.advance(keysCache.cooldownSeconds * 1000);
    expect(await verify()).toBe('accepted'); // before the fix: signature_invalid until the 600 s maxAge
    expect(issuer.requests.jwks).toBe(2);
    expect(log.named('legacy.keys_fetched')[1]).toMatchObject({ why: 'signature failure' });
    // Rate limited: tokens signed by the impostor right after cost no fetch.
    const now = clock.now() / 1000;
    const forged = await issuer.mint({ sub: 'mallory', iat: now, exp: now + 60 }, { key: impostor });
    expect(outcome(await verifier.verifyToken(forged))).toBe('signature_invalid');
    expect(issuer.requests.jwks).toBe(2);
  });

  it('a refetch (unknown kid) that returns only a corrupt key fails; the cached keys keep serving', async () => {
    const { verify, clock, verifier } = setup(issuer);
    expect(await verify()).toBe('accepted');
    serve(corrupted(good));
    clock.advance(keysCache.cooldownSeconds * 1000);
    const stranger = await issuer.mint({ sub: 'x', iat: clock.now() / 1000, exp: clock.now() / 1000 + 60 }, { header: { kid: 'unknown' } });
    expect(outcome(await verifier.verifyToken(stranger))).toBe('keys_unavailable');
    expect(issuer.requests.jwks).toBe(2);
    expect(await verify()).toBe('accepted');
  });

  it('a refetch (unknown kid) that returns a poisoned set keeps the known-good key, logged', async () => {
    const other = await generateTestKey('ES256');
    const { verify, clock, log, verifier } = setup(issuer);
    expect(await verify()).toBe('accepted');
    serve(corrupted(good), other.publicJwk);
    clock.advance(keysCache.cooldownSeconds * 1000);
    const stranger = await issuer.mint({ sub: 'x', iat: clock.now() / 1000, exp: clock.now() / 1000 + 60 }, { header: { kid: 'unknown' } });
    expect(outcome(await verifier.verifyToken(stranger))).toBe('unknown_kid');
    expect(issuer.requests.jwks).toBe(2);
    // Before the fix the corrupt set replaced the good key: every login refused for maxAgeSeconds.
    expect(await verify()).toBe('accepted');
    expect(log.named('legacy.keys_retained')).toEqual([expect.objectContaining({ level: 'warn', kids: [good.kid] })]);
  });

  it('a refetch that puts another valid key under a known-good kid keeps both, logged', async () => {
    const impostor = await generateTestKey('ES256', { kid: good.kid! });
    const { verify, clock, log, verifier } = setup(issuer);
    expect(await verify()).toBe('accepted');
    serve(impostor.publicJwk);
    clock.advance(keysCache.cooldownSeconds * 1000);
    const stranger = await issuer.mint({ sub: 'x', iat: clock.now() / 1000, exp: clock.now() / 1000 + 60 }, { header: { kid: 'unknown' } });
    expect(outcome(await verifier.verifyToken(stranger))).toBe('unknown_kid');
    expect(await verify()).toBe('accepted');
    expect(log.named('legacy.keys_retained')).toEqual([expect.objectContaining({ why: 'another key under a known-good kid' })]);
  });

  it('a retained key is dropped at its stale bound', async () => {
    const other = await generateTestKey('ES256');
    const { verify, clock, verifier } = setup(issuer);
    expect(await verify()).toBe('accepted');
    serve(corrupted(good), other.publicJwk);
    clock.advance(keysCache.cooldownSeconds * 1000);
    const stranger = await issuer.mint({ sub: 'x', iat: clock.now() / 1000, exp: clock.now() / 1000 + 60 }, { header: { kid: 'unknown' } });
    await verifier.verifyToken(stranger);
    expect(await verify()).toBe('accepted');
    clock.set(T0 + (keysCache.maxAgeSeconds + keysCache.staleIfErrorSeconds) * 1000);
    expect(await verify()).not.toBe('accepted');
  });

  it('a key removed from a clean set is dropped at the next fetch, logged', async () => {
    const next = await generateTestKey('ES256');
    const { verify, clock, log, verifier } = setup(issuer);
    expect(await verify()).toBe('accepted');
    serve(next.publicJwk);
    clock.advance(keysCache.cooldownSeconds * 1000);
    const rotated = await issuer.mint({ sub: 'x', iat: clock.now() / 1000, exp: clock.now() / 1000 + 60 }, { key: next });
    expect(outcome(await verifier.verifyToken(rotated))).toBe('accepted');
    expect(await verify()).toBe('unknown_kid');
    expect(log.named('legacy.keys_removed')).toEqual([expect.objectContaining({ level: 'info', kids: [good.kid], why: 'no longer published' })]);
    expect(log.named('legacy.keys_retained')).toHaveLength(0);
  });
});

describe('failure backoff', () => {
  it('after a failed first fetch, retries back off from 1 s, doubling up to the cooldown', async () => {
    const { verify, clock } = setup(issuer);
    issuer.setMode('down');
    expect(await verify()).toBe('keys_unavailable');
    const delays: number[] = [];
    let attempts = issuer.requests.jwks;
    let waited = 0;
    while (delays.length < 7) {
      clock.advance(500);
      waited += 500;
      expect(await verify()).toBe('keys_unavailable');
      if (issuer.requests.jwks > attempts) {
        attempts = issuer.requests.jwks;
        delays.push(waited);
        waited = 0;
      }
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('recovers one second after a failed first fetch (not the whole cooldown)', async () => {
    const { verify, clock } = setup(issuer);
    issuer.setMode('close');
    expect(await verify()).toBe('keys_unavailable');
    issuer.setMode('ok');
    clock.advance(1000);
    expect(await verify()).toBe('accepted');
  });

  it.each(['down', 'garbage'] as const)('%s: a success resets the backoff', async (mode) => {
    const { verify, clock } = setup(issuer, { maxAgeSeconds: 0, staleIfErrorSeconds: 0 });
    issuer.setMode(mode);
    for (let i = 0; i < 4; i++) {
      expect(await verify()).toBe('keys_unavailable');
      clock.advance(30_000);
    }
    issuer.setMode('ok');
    expect(await verify()).toBe('accepted');
    issuer.setMode(mode);
    clock.advance(1);
    const before = issuer.requests.jwks;
    expect(await verify()).toBe('keys_unavailable');
    clock.advance(1000);
    expect(await verify()).toBe('keys_unavailable');
    expect(issuer.requests.jwks).toBe(before + 2);
  });
});

describe('stale keys with a hanging endpoint', () => {
  let hanging: LegacyIssuer;
  beforeAll(async () => {
    hanging = await startLegacyIssuer({ alg: 'ES256' });
  });
  afterAll(() => hanging.close());

  it('serves the stale keys at once and refreshes in the background', async () => {
    // A 60 s timeout: before the fix each login past maxAge waited for it (the test would time out).
    const { verify, clock, log, attempts } = setup(hanging, { timeoutSeconds: 60 });
    expect(await verify()).toBe('accepted');
    hanging.setMode('hang');
    clock.advance(keysCache.maxAgeSeconds * 1000 + 1000);
    for (let i = 0; i < 5; i++) expect(await verify()).toBe('accepted');
    await hanging.waitForJwksRequests(2);
    expect(hanging.requests.jwks).toBe(2); // one background refresh, shared
    expect(log.named('legacy.keys_fetch_failed')).toHaveLength(0); // still hanging: nobody waited for it
    hanging.setMode('ok');
    await hanging.close(); // releases the hung request: the background refresh fails, logged
    await attempts(2);
    expect(log.named('legacy.keys_fetch_failed')).toHaveLength(1);
    hanging = await startLegacyIssuer({ alg: 'ES256' });
  });
});
