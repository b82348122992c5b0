import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/parse.ts';
import { configProblems, minimalConfig } from '../../helpers/config.ts';

const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';

describe('device and access configuration', () => {
  it('defaults: 600 s codes, 5 s interval, the documented limits', () => {
    expect(validateConfig(minimalConfig()).device).toEqual({
      codeTtlSeconds: 600,
      intervalSeconds: 5,
      startsPerMinutePerClient: 60,
      wrongCodesPerBrowser: 5,
      wrongCodesPerMinute: 100,
    });
  });

  it('a device-only client needs no redirect URIs; a code-flow client does', () => {
    const config = minimalConfig();
    config.clients.push({ clientId: 'cli', identityProviders: ['legacy'], grantTypes: [DEVICE, 'refresh_token'] });
    expect(configProblems(config)).toEqual([]);
    config.clients.push({ clientId: 'web', identityProviders: ['legacy'], grantTypes: ['authorization_code', DEVICE] });
    expect(configProblems(config)).toEqual(['clients[2].redirectUris: must list at least one redirect URI']);
  });

  it('access policy and lifetimes are validated', () => {
    const config = minimalConfig();
    config.clients[0].access = { requireClaims: { groups: [] }, unknown: 1 };
    config.clients[0].accessTokenTtlSeconds = 5;
    config.device = { intervalSeconds: 0 };
    const problems = configProblems(config);
    expect(problems.some((p) => p.startsWith('clients[0].access'))).toBe(true);
    expect(problems.some((p) => p.startsWith('clients[0].accessTokenTtlSeconds'))).toBe(true);
    expect(problems.some((p) => p.startsWith('device.intervalSeconds'))).toBe(true);
  });
});
