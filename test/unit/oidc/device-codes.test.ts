import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/clock.ts';
import { sha256 } from '../../../src/crypto.ts';
import { createDeviceCodes } from '../../../src/oidc/device/device-codes.ts';
import { createRateLimiter } from '../../../src/oidc/device/rate-limit.ts';
import { displayUserCode, newUserCode, normalizeUserCode, USER_CODE_ALPHABET } from '../../../src/oidc/device/user-code.ts';
import { createMemoryStore } from '../../../src/storage/memory.ts';

describe('user codes', () => {
  it('8 letters of 20 consonants without look-alikes, shown XXXX-XXXX, entered in any case with or without the dash', () => {
    expect(USER_CODE_ALPHABET).toHaveLength(20);
    expect(USER_CODE_ALPHABET).not.toMatch(/[AEIOUY01]/);
    const codes = Array.from({ length: 500 }, newUserCode);
    for (const code of codes) expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
    // Every letter of the alphabet turns up (rejection sampling uses all 20).
    expect(new Set(codes.join('')).size).toBe(20);
    expect(displayUserCode('BCDFGHJK')).toBe('BCDF-GHJK');
    expect(normalizeUserCode('bcdf-ghjk')).toBe('BCDFGHJK');
    expect(normalizeUserCode(' BCDF GHJK ')).toBe('BCDFGHJK');
    expect(normalizeUserCode('BCDF-GHJ')).toBeUndefined();
    expect(normalizeUserCode('BCDF-GHJA')).toBeUndefined();
    expect(normalizeUserCode('B'.repeat(40))).toBeUndefined();
    expect(normalizeUserCode(undefined)).toBeUndefined();
  });
});

describe('device records', () => {
  const setup = () => {
    const clock = createManualClock();
    const store = createMemoryStore({ clock });
    return { clock, store, codes: createDeviceCodes(store, clock, { ttlMs: 600_000, intervalMs: 5_000 }) };
  };
  const login = { userId: 'u1', authTime: 1, sid: 's', grantId: 'g' };

  it('approve needs the binding of the browser that entered the code; the tokens come out once', async () => {
    const { codes } = setup();
    const { deviceCode, userCode } = await codes.start({ clientId: 'cli', scopes: ['openid'], idp: 'legacy' });
    const loaded = (await codes.findByUserCode(userCode))!;
    expect(await codes.bind(loaded, 'browser-a')).toBe('bound');
    expect(await codes.bind((await codes.findByUserCode(userCode))!, 'browser-a')).toBe('bound');
    expect(await codes.bind((await codes.findByUserCode(userCode))!, 'browser-b')).toBe('elsewhere');
    const hash = await sha256(deviceCode);
    expect(await codes.settle(hash, 'browser-b', { status: 'approved', login })).toBe(false);
    expect(await codes.settle(hash, 'browser-a', { status: 'approved', login })).toBe(true);
    expect(await codes.settle(hash, 'browser-a', { status: 'denied', reason: 'user' })).toBe(false);
    expect(await codes.findByUserCode(userCode)).toBeUndefined();
    const polls = await Promise.all(Array.from({ length: 10 }, () => codes.poll(deviceCode, 'cli')));
    expect(polls.filter((p) => p.status === 'tokens')).toHaveLength(1);
    expect(polls.filter((p) => p.status === 'used')).toHaveLength(9);
    expect((await codes.poll(deviceCode, 'other')).status).toBe('unknown');
  });
});

describe('rate limiter', () => {
  it('counts per fixed window, refuses above the limit, refunds, and starts again in the next window', async () => {
    const clock = createManualClock(60_000 * 1000);
    const limiter = createRateLimiter(createMemoryStore({ clock }), () => clock.now());
    const results = await Promise.all(Array.from({ length: 10 }, () => limiter.hit('x', 3, 60_000)));
    expect(results.filter(Boolean)).toHaveLength(3);
    await limiter.refund('x', 60_000);
    expect(await limiter.hit('x', 3, 60_000)).toBe(true);
    expect(await limiter.hit('x', 3, 60_000)).toBe(false);
    clock.advance(60_000);
    expect(await limiter.hit('x', 3, 60_000)).toBe(true);
  });
});
