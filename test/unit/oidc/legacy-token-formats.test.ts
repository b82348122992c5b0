/**
 * The transition after the switch to WAF-safe values (issue #16): values minted in base64url before the upgrade are
 * still honoured where one can still arrive — a code (60 s), a refresh token (its family's lifetime) — and the new
 * ones are hex. Records are written as the previous release wrote them.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/clock.ts';
import { sha256 } from '../../../src/crypto.ts';
import { bindingValue, readBindingCookie } from '../../../src/oidc/flow/binding-cookie.ts';
import { createCodes } from '../../../src/oidc/flow/codes.ts';
import type { BridgeContext } from '../../../src/oidc/services.ts';
import { createRefreshTokens, type RefreshFamily } from '../../../src/oidc/tokens/refresh-tokens.ts';
import { createMemoryStore } from '../../../src/storage/memory.ts';

const b64url = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('base64url');
const grant = { clientId: 'app', userId: 'u1', idp: 'legacy', scopes: ['openid', 'offline_access'], sid: 's1', grantId: 'g1', authTime: 1 };

function setup() {
  const clock = createManualClock(1_000_000);
  return { clock, store: createMemoryStore({ clock }) };
}

describe('values issued before the hex upgrade', () => {
  it('a base64url code is redeemed once; a malformed one is unknown', async () => {
    const { clock, store } = setup();
    const codes = createCodes(store, { ttlMs: 60_000, reuseWindowMs: 60_000, clock });
    const old = `${b64url(30)}-_A`; // 43 base64url characters, with the `-`/`_` hex never has
    await store.set(`code:${await sha256(old)}`, JSON.stringify({ ...grant, redirectUri: 'https://app/cb', issuedAt: clock.now(), used: false }), {
      ttlMs: 60_000,
    });
    expect((await codes.redeem(old, 'app', async () => {})).status).toBe('redeemed');
    expect((await codes.redeem(old, 'app', async () => {})).status).toBe('reused');
    expect((await codes.redeem(`${old}x`, 'app', async () => {})).status).toBe('unknown');
    expect(await codes.issue({ ...grant, redirectUri: 'https://app/cb', issuedAt: clock.now() })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a base64url refresh token rotates to a hex secret in the same family; reusing the old one ends it', async () => {
    const { clock, store } = setup();
    const tokens = createRefreshTokens(store, clock);
    const familyId = b64url(16);
    const secret = b64url(32);
    const family: RefreshFamily = {
      ...grant,
      current: await sha256(secret),
      used: [],
      createdAt: clock.now(),
      lastUsedAt: clock.now(),
      idleMs: 3_600_000,
      absoluteMs: 7_200_000,
    };
    await store.set(`rt:${familyId}`, JSON.stringify(family), { ttlMs: 3_600_000 });
    const old = `${familyId}.${secret}`;
    const rotated = await tokens.rotate(old, 'app', async () => {});
    expect(rotated.status).toBe('rotated');
    const next = (rotated as { token: string }).token;
    expect(next.split('.')[0]).toBe(familyId);
    expect(next.split('.')[1]).toMatch(/^[0-9a-f]{64}$/);
    expect((await tokens.rotate(old, 'app', async () => {})).status).toBe('reused');
  });
});

describe('the binding cookie across the upgrade', () => {
  const app = new Hono();
  app.get('/callback', (c) => c.text(readBindingCookie(c as unknown as BridgeContext, false, { legacy: true }) ?? 'none'));
  app.get('/authorize', (c) => c.text(bindingValue(c as unknown as BridgeContext, false)));
  const old = `${b64url(30)}-_A`;

  it('a base64url cookie still binds the sign-in it started (callback), but /authorize replaces it with hex', async () => {
    expect(await (await app.request('/callback', { headers: { cookie: `jib=${old}` } })).text()).toBe(old);
    const fresh = await (await app.request('/authorize', { headers: { cookie: `jib=${old}` } })).text();
    expect(fresh).toMatch(/^[0-9a-f]{64}$/);
    expect(await (await app.request('/authorize', { headers: { cookie: `jib=${fresh}` } })).text()).toBe(fresh);
    expect(await (await app.request('/callback', { headers: { cookie: 'jib=not-a-value' } })).text()).toBe('none');
  });
});
