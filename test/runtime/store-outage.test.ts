import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { validateConfig } from '../../src/config/parse.ts';
import type { Config } from '../../src/config/schema.ts';
import { generateSigningJwk } from '../../src/keys/signing-keys.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { composeBridge, type Bridge } from '../../src/runtime/compose.ts';
import { createRedisStore } from '../../src/storage/redis.ts';

const REDIRECT = 'https://app.example.com/cb';

/** The store is down (nothing listens on port 1): every endpoint degrades to a clear, standard error. */
describe('store outage', () => {
  let bridge: Bridge;
  let config: Config;
  beforeAll(async () => {
    config = validateConfig({
      issuer: 'https://accounts.example.com',
      store: { type: 'redis', url: 'redis://127.0.0.1:1', keyPrefix: 'outage:' },
      identityProviders: [
        {
          id: 'legacy',
          issuer: 'https://legacy.example',
          keysEndpoint: 'https://legacy.example/keys',
          jwtEndpoint: 'https://apps.example.com/auth-new',
          allowAnyAudience: true,
          trustedProxy: 'none',
        },
      ],
      clients: [{ clientId: 'app', clientSecret: 'app-secret-0123456789', redirectUris: [REDIRECT], identityProviders: ['legacy'] }],
    });
    const store = createRedisStore({ url: config.store.url!, keyPrefix: config.store.keyPrefix, logger: silentLogger });
    bridge = await composeBridge({ config, clock: systemClock, logger: silentLogger, store, signingJwks: [await generateSigningJwk('RS256')] });
  });
  afterAll(async () => {
    await bridge?.store.close();
  });

  it('reports not ready', async () => {
    const response = await bridge.app.request('/readyz');
    expect(response.status).toBe(503);
  });

  it('sends temporarily_unavailable to the app from /authorize, with state and iss', async () => {
    const response = await bridge.app.request(`/authorize?client_id=app&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&scope=openid&state=s1`);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('error')).toBe('temporarily_unavailable');
    expect(location.searchParams.get('state')).toBe('s1');
    expect(location.searchParams.get('iss')).toBe('https://accounts.example.com');
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('shows a 503 page at the JWT endpoint and the callback (the keys that open the auth request cannot be read)', async () => {
    // A real authRequestID, sealed while the store was up (the same prefix on a Redis that answers).
    const up = createRedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: `outage:${crypto.randomUUID()}:`, logger: silentLogger });
    let id: string;
    try {
      const before = await composeBridge({
        config: { ...config, store: { ...config.store, url: 'redis://127.0.0.1:6379' } },
        clock: systemClock,
        logger: silentLogger,
        store: up,
        signingJwks: [await generateSigningJwk('RS256')],
      });
      const started = await before.app.request(
        `/authorize?client_id=app&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&scope=openid&state=s1`,
      );
      id = new URL(started.headers.get('location')!).searchParams.get('authRequestID')!;
      // The bridge under test has the same prefix but its store is down: it cannot read the sealing keys.
      await up.delete('sealing-keys');
    } finally {
      await up.close();
    }
    for (const path of [`/login/jwt?authRequestID=${id}`, `/login/jwt/callback?authRequestID=${id}&completion=x`]) {
      const response = await bridge.app.request(path);
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toMatch(/text\/html/);
      expect(await response.text()).not.toMatch(/StoreUnavailable|127\.0\.0\.1|at .*\.ts/);
    }
  });

  it('answers /token with 503 temporarily_unavailable, not a 500', async () => {
    const response = await bridge.app.request('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${btoa('app:app-secret-0123456789')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'c'.repeat(43), redirect_uri: REDIRECT }),
    });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(response.headers.get('cache-control')).toBe('no-store');
  });
});
