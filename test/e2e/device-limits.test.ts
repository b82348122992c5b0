/**
 * RFC 8628 §5.1-5.2 brute-force bounds on /device, and the start bound on /device_authorization that keeps
 * unauthenticated (public-client) traffic from growing state without bound. Time is a manual clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.ts';
import { createMemoryStore } from '../../src/storage/memory.ts';
import { expectJsonError, logEvents } from '../helpers/app-client.ts';
import { Browser } from '../helpers/browser.ts';
import { answerDevice, deviceClients, enterCode, pageTitle, pollDevice, startDevice, startedDevice } from '../helpers/device.ts';
import { openRedisStore, startStack, type Stack } from '../helpers/stack.ts';

describe('device brute-force and growth bounds', () => {
  const clock = createManualClock(Date.UTC(2026, 11, 2, 1, 0, 0));
  let stack: Stack;
  let redis: ReturnType<typeof openRedisStore>;
  beforeAll(async () => {
    stack = await startStack({
      store: 'redis',
      clock,
      clients: deviceClients(),
      device: { wrongCodesPerBrowser: 3, wrongCodesPerMinute: 8, startsPerMinutePerClient: 4 },
    });
    redis = openRedisStore(stack.keyPrefix);
  });
  afterAll(async () => {
    await redis?.close();
    await stack?.close();
  });

  it('wrong codes are limited per browser (then even a right code waits); other browsers are unaffected', async () => {
    clock.advance(60_000);
    const started = await startedDevice(stack);
    const browser = await stack.browser('alice');
    for (const wrong of ['BCDF-GHJK', 'bcdfghjk', 'not a code at all', 'X'.repeat(40)]) {
      const response = await enterCode(browser, stack.issuer, wrong);
      // The fourth wrong entry already finds the browser at its limit of 3.
      expect([400, 429]).toContain(response.status);
    }
    const blocked = await enterCode(browser, stack.issuer, started.user_code);
    expect(blocked.status).toBe(429);
    expect(await pageTitle(blocked)).toBe('Too many attempts');
    expect(logEvents(stack, 'device.code_rejected').map((e) => e.reason)).toContain('user_code_rate_limited');
    // Another browser enters the right code.
    expect(await pageTitle(await answerDevice(await stack.browser('alice'), stack.issuer, started.user_code))).toBe('Device connected');
  });

  it('parallel guesses from one browser cannot outrun the limit: at most 3 are even looked up', async () => {
    clock.advance(60_000);
    const browser = await stack.browser('mallory');
    const page = await browser.request(`${stack.issuer}/device`);
    const { csrfOf, postDevice } = await import('../helpers/device.ts');
    const csrf = csrfOf(await page.text());
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        postDevice(browser, stack.issuer, { csrf, action: 'enter', user_code: `BCDF-BC${'DFGHJKLMNPQRSTVWXZ'[i % 18]}D` }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 400).length).toBeLessThanOrEqual(3);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(17);
  });

  it('wrong codes are limited globally per minute, whatever the browser; the next minute they are accepted again', async () => {
    clock.advance(60_000);
    const started = await startedDevice(stack);
    for (let i = 0; i < 8; i++) expect((await enterCode(new Browser(), stack.issuer, 'BCDF-BCDF')).status).toBe(400);
    const blocked = await enterCode(await stack.browser('bob'), stack.issuer, started.user_code);
    expect(blocked.status).toBe(429);
    // A fresh browser per attempt creates no per-browser counter beyond the global bound.
    const counters = await redis.store.list('rate:device-wrong-browser:');
    expect(counters.length).toBeLessThanOrEqual(8 + 3);
    clock.advance(60_000);
    expect(await pageTitle(await answerDevice(await stack.browser('bob'), stack.issuer, started.user_code))).toBe('Device connected');
    expect((await pollDevice(stack, started.device_code)).status).toBe(200);
  });

  it('device authorizations per client and minute are bounded: the pending records stay bounded too', async () => {
    clock.advance(60_000);
    const before = (await redis.store.list('device:')).length;
    for (let i = 0; i < 4; i++) expect((await startDevice(stack)).status).toBe(200);
    const refused = await startDevice(stack);
    await expectJsonError(refused, 429, 'temporarily_unavailable');
    expect(refused.headers.get('retry-after')).toBe('60');
    expect((await redis.store.list('device:')).length - before).toBe(4);
    clock.advance(60_000);
    expect((await startDevice(stack)).status).toBe(200);
  });
});

describe('device record store (memory): user-code collisions and bounds', () => {
  it('stores only the device_code hash; the user code key expires with the code', async () => {
    const clock = createManualClock();
    const store = createMemoryStore({ clock });
    const { createDeviceCodes } = await import('../../src/oidc/device/device-codes.ts');
    const codes = createDeviceCodes(store, clock, { ttlMs: 600_000, intervalMs: 5_000 });
    const { deviceCode, userCode } = await codes.start({ clientId: 'cli', scopes: ['openid'], idp: 'legacy' });
    const keys = await store.list('');
    expect(keys.some((k) => k.includes(deviceCode))).toBe(false);
    expect(keys).toContain(`device-user-code:${userCode}`);
    expect(await store.pttl(`device-user-code:${userCode}`)).toBe(600_000);
    clock.advance(600_001);
    expect(await codes.findByUserCode(userCode)).toBeUndefined();
    expect((await codes.poll(deviceCode, 'cli')).status).toBe('expired');
  });
});
