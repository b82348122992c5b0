/** Refresh token families (src/oidc/tokens/refresh-tokens.ts) on the memory store with a manual clock. */
import { minimalConfig } from '../../helpers/config.ts';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/clock.ts';
import { validateConfig } from '../../../src/config/parse.ts';
import { checkScope } from '../../../src/oidc/checks/scope.ts';
import { createRefreshTokens } from '../../../src/oidc/tokens/refresh-tokens.ts';
import { createMemoryStore } from '../../../src/storage/memory.ts';

const grant = { clientId: 'app', userId: 'u1', idp: 'legacy', scopes: ['openid', 'offline_access'], sid: 's1', grantId: 'g1', authTime: 1 };
const lifetimes = { idleSeconds: 3600, absoluteSeconds: 7200 };
const ok = async () => {};

function setup() {
  const clock = createManualClock(1_000_000);
  const store = createMemoryStore({ clock });
  return { clock, store, tokens: createRefreshTokens(store, clock) };
}

describe('refresh token families', () => {
  it('stores only hashes: neither the token nor its secret is in the store', async () => {
    const { store, tokens } = setup();
    const token = await tokens.issue(grant, lifetimes);
    const [familyId, secret] = token.split('.');
    const keys = await store.list('');
    expect(keys).toEqual([`rt:${familyId}`]);
    expect(await store.get(keys[0]!)).not.toContain(secret);
  });

  it('idle and absolute lifetimes end a family by the bridge clock', async () => {
    const { clock, tokens } = setup();
    let token = await tokens.issue(grant, lifetimes);
    clock.advance(3_599_000);
    const rotated = await tokens.rotate(token, 'app', ok);
    expect(rotated.status).toBe('rotated');
    token = (rotated as { token: string }).token;
    clock.advance(3_599_000);
    const again = await tokens.rotate(token, 'app', ok);
    expect(again.status).toBe('rotated');
    // Used within the idle time each time, but past the absolute lifetime now.
    clock.advance(2_000);
    expect((await tokens.rotate((again as { token: string }).token, 'app', ok)).status).toBe('unknown');

    const idle = await tokens.issue(grant, lifetimes);
    clock.advance(3_600_000);
    expect((await tokens.rotate(idle, 'app', ok)).status).toBe('unknown');
  });

  it('a refused check leaves the token unused; a wrong secret for a real family revokes nothing', async () => {
    const { tokens } = setup();
    const token = await tokens.issue(grant, lifetimes);
    await expect(tokens.rotate(token, 'app', async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    const guessed = `${token.split('.')[0]}.${'A'.repeat(43)}`;
    expect((await tokens.rotate(guessed, 'app', ok)).status).toBe('unknown');
    expect((await tokens.rotate(token, 'other', ok)).status).toBe('foreign');
    expect((await tokens.rotate(token, 'app', ok)).status).toBe('rotated');
    expect((await tokens.rotate(token, 'app', ok)).status).toBe('reused');
  });

  it('revoke ends the family for its own client only', async () => {
    const { tokens } = setup();
    const token = await tokens.issue(grant, lifetimes);
    expect(await tokens.revoke(token, 'other')).toBeUndefined();
    expect(await tokens.inspect(token)).toBeDefined();
    expect(await tokens.revoke(token, 'app')).toMatchObject({ grantId: 'g1' });
    expect(await tokens.inspect(token)).toBeUndefined();
  });
});

describe('offline_access', () => {
  const config = (grantTypes?: string[]) => {
    const raw = minimalConfig();
    raw.clients[0] = { ...raw.clients[0], ...(grantTypes && { grantTypes }) };
    return validateConfig(raw).clients[0]!;
  };

  it('is granted only to a client allowed the refresh_token grant', () => {
    expect(config().grantTypes).toEqual(['authorization_code']);
    expect(checkScope(config(), 'openid offline_access').scopes).toEqual(['openid']);
    expect(checkScope(config(['authorization_code', 'refresh_token']), 'openid offline_access').scopes).toEqual(['openid', 'offline_access']);
  });

  it('grantTypes accepts only the known grant types', () => {
    expect(() => config(['password'])).toThrow(/grantTypes/);
  });

  it('a resource server id may not repeat a client id', () => {
    const base = minimalConfig();
    expect(validateConfig({ ...base, resourceServers: [{ id: 'api', secret: 'api-secret-0123456789' }] }).resourceServers).toHaveLength(1);
    expect(() => validateConfig({ ...base, resourceServers: [{ id: 'app', secret: 'api-secret-0123456789' }] })).toThrow(/resourceServers\[0\]\.id/);
    expect(() => validateConfig({ ...base, resourceServers: [{ id: 'api', secret: 'short' }] })).toThrow(/resourceServers\[0\]\.secret/);
  });
});
