import { describe, expect, it } from 'vitest';
import { checkClientAccess, clientAccessFailure } from '../../../src/oidc/checks/client-access.ts';
import { OAuthError } from '../../../src/oidc/errors.ts';
import { tokenLifetimes } from '../../../src/oidc/tokens/lifetimes.ts';

const access = (requireClaims: Record<string, unknown>, requireClaimsType: 'string' | 'glob' = 'string') =>
  ({ requireClaims, requireClaimsType }) as { requireClaims: Record<string, string>; requireClaimsType: 'string' | 'glob' };

describe('checkClientAccess (boundClaims rules on the profile)', () => {
  it('no policy, or an empty one, lets everyone in', () => {
    expect(clientAccessFailure({}, {})).toBeUndefined();
    expect(clientAccessFailure({ access: access({}) }, {})).toBeUndefined();
  });
  it('an array claim matches when any element matches; a list means any of', () => {
    const client = { access: access({ groups: ['ops-admins', 'sre'] }) };
    expect(clientAccessFailure(client, { groups: ['devs', 'sre'] })).toBeUndefined();
    expect(clientAccessFailure(client, { groups: ['devs'] })).toBe('groups');
    expect(clientAccessFailure(client, {})).toBe('groups');
    expect(clientAccessFailure(client, { groups: 'sre' })).toBeUndefined();
  });
  it('every listed claim must match; JSON Pointer selectors; no type coercion; globs only when asked', () => {
    expect(
      clientAccessFailure({ access: access({ '/org/team': 'sre', email_verified: true }) }, { org: { team: 'sre' }, email_verified: true }),
    ).toBeUndefined();
    expect(clientAccessFailure({ access: access({ '/org/team': 'sre', email_verified: true }) }, { org: { team: 'sre' }, email_verified: 'true' })).toBe(
      'email_verified',
    );
    expect(clientAccessFailure({ access: access({ email: '*@example.com' }) }, { email: 'a@example.com' })).toBe('email');
    expect(clientAccessFailure({ access: access({ email: '*@example.com' }, 'glob') }, { email: 'a@example.com' })).toBeUndefined();
    expect(clientAccessFailure({ access: access({ '/__proto__/x': 'y' }) }, {})).toBe('/__proto__/x');
  });
  it('throws access_denied with reason client_policy_denied', () => {
    try {
      checkClientAccess({ clientId: 'c', access: access({ groups: 'admins' }) }, { id: 'u1', profile: {} }, undefined, 'refresh');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(OAuthError);
      expect(error).toMatchObject({ error: 'access_denied', reason: 'client_policy_denied', status: 400 });
    }
  });
});

describe('tokenLifetimes', () => {
  const config = { tokens: { accessTokenTtlSeconds: 300, idTokenTtlSeconds: 300, authRequestTtlSeconds: 600, codeTtlSeconds: 60 } };
  it('global defaults; per-client overrides; the ID token never shorter than the access token unless set', () => {
    expect(tokenLifetimes(config, {})).toEqual({ accessTokenTtlSeconds: 300, idTokenTtlSeconds: 300 });
    expect(tokenLifetimes(config, { accessTokenTtlSeconds: 60 })).toEqual({ accessTokenTtlSeconds: 60, idTokenTtlSeconds: 300 });
    expect(tokenLifetimes(config, { accessTokenTtlSeconds: 3600 })).toEqual({ accessTokenTtlSeconds: 3600, idTokenTtlSeconds: 3600 });
    expect(tokenLifetimes(config, { accessTokenTtlSeconds: 3600, idTokenTtlSeconds: 120 })).toEqual({ accessTokenTtlSeconds: 3600, idTokenTtlSeconds: 120 });
  });
});
