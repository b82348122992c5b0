/** The sign-out keys of the config: an IdP's logoutUrl, a client's backchannelLogoutUri, and the delivery limits. */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/parse.ts';
import { configProblems, minimalConfig } from '../../helpers/config.ts';

describe('sign-out configuration', () => {
  it('defaults: no legacy logoutUrl, no back-channel URI, 5 s timeout and 3 attempts', () => {
    const config = validateConfig(minimalConfig());
    expect(config.identityProviders[0]!.logoutUrl).toBeNull();
    expect(config.clients[0]!.backchannelLogoutUri).toBeNull();
    expect(config.backchannelLogout).toEqual({ timeoutSeconds: 5, attempts: 3 });
  });

  it('accepts https URLs (and http on loopback) for logoutUrl and backchannelLogoutUri', () => {
    const raw = minimalConfig();
    raw.identityProviders[0].logoutUrl = 'https://apps.example.com/logout?from=bridge';
    raw.clients[0].backchannelLogoutUri = 'http://127.0.0.1:3000/backchannel';
    const config = validateConfig(raw);
    expect(config.identityProviders[0]!.logoutUrl).toBe('https://apps.example.com/logout?from=bridge');
    expect(config.clients[0]!.backchannelLogoutUri).toBe('http://127.0.0.1:3000/backchannel');
  });

  it('refuses plain http off loopback and relative URLs, naming the key', () => {
    const raw = minimalConfig();
    raw.identityProviders[0].logoutUrl = 'http://apps.example.com/logout';
    raw.clients[0].backchannelLogoutUri = '/backchannel';
    const problems = configProblems(raw);
    expect(problems.some((p) => p.startsWith('identityProviders[0].logoutUrl:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('clients[0].backchannelLogoutUri:'))).toBe(true);
  });

  it('bounds the delivery: timeoutSeconds in (0, 30], attempts 1-5', () => {
    expect(configProblems({ ...minimalConfig(), backchannelLogout: { timeoutSeconds: 0 } })[0]).toMatch(/^backchannelLogout\.timeoutSeconds:/);
    expect(configProblems({ ...minimalConfig(), backchannelLogout: { attempts: 9 } })[0]).toMatch(/^backchannelLogout\.attempts:/);
    expect(configProblems({ ...minimalConfig(), backchannelLogout: { retries: 2 } })[0]).toMatch(/^backchannelLogout/);
  });
});
