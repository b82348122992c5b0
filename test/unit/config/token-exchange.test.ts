/** clients[].tokenExchange: defaults, refusals, and what discovery derives from it. */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/parse.ts';
import { configWarnings } from '../../../src/config/warnings.ts';
import { tokenExchangeDiscovery, tokenExchangeGrantTypes } from '../../../src/oidc/grants/token-exchange-discovery.ts';
import { configProblems, minimalConfig } from '../../helpers/config.ts';

const base = minimalConfig();
const SECRET = 'a-long-enough-secret';
const withClient = (client: Record<string, unknown>) => ({ ...base, clients: [{ ...base.clients[0], ...client }] });

describe('token exchange policy config', () => {
  it('defaults: each path off, refresh tokens off, single-use legacy JWTs, 300 s ID-JAGs', () => {
    const config = validateConfig(withClient({ clientSecret: SECRET, tokenExchange: { legacyJwt: true, idJag: { audiences: ['https://as.example.com'] } } }));
    expect(config.clients[0]!.tokenExchange).toEqual({
      legacyJwt: true,
      allowRefreshToken: false,
      singleUseLegacyJwt: true,
      idJag: { audiences: ['https://as.example.com'], scopes: [], lifetimeSeconds: 300 },
    });
    expect(tokenExchangeGrantTypes(config)).toEqual(['urn:ietf:params:oauth:grant-type:token-exchange']);
    expect(tokenExchangeDiscovery(config)).toEqual({ identity_chaining_requested_token_types_supported: ['urn:ietf:params:oauth:token-type:id-jag'] });
  });

  it('a policy that permits nothing, or none, advertises nothing', () => {
    for (const tokenExchange of [undefined, {}, { legacyJwt: false }]) {
      const config = validateConfig(withClient({ clientSecret: SECRET, ...(tokenExchange && { tokenExchange }) }));
      expect(tokenExchangeGrantTypes(config)).toEqual([]);
      expect(tokenExchangeDiscovery(config)).toEqual({});
    }
    // Legacy JWTs only: the grant, but no identity chaining.
    const legacyOnly = validateConfig(withClient({ clientSecret: SECRET, tokenExchange: { legacyJwt: true } }));
    expect(tokenExchangeGrantTypes(legacyOnly)).toHaveLength(1);
    expect(tokenExchangeDiscovery(legacyOnly)).toEqual({});
  });

  it('warns when legacy JWTs may be replayed (singleUseLegacyJwt: false)', () => {
    const config = validateConfig(withClient({ clientSecret: SECRET, tokenExchange: { legacyJwt: true, singleUseLegacyJwt: false } }));
    expect(configWarnings(config).filter((line) => line.startsWith('clients[0]'))).toEqual([
      'clients[0] (app): tokenExchange.singleUseLegacyJwt: false — a legacy JWT may be exchanged again and again until it expires',
    ]);
    expect(configWarnings(validateConfig(withClient({ clientSecret: SECRET, tokenExchange: { legacyJwt: true } }))).join()).not.toMatch(/clients/);
  });

  it('refuses a policy on a public client, unknown keys, an empty audience list, odd lifetimes and resources', () => {
    expect(configProblems(withClient({ tokenExchange: { legacyJwt: true } }))).toEqual([
      'clients[0].tokenExchange: requires a confidential client (clientSecret or private_key_jwt)',
    ]);
    const problems = (tokenExchange: unknown) => configProblems(withClient({ clientSecret: SECRET, tokenExchange }));
    expect(problems({ legacyJWT: true }).join()).toMatch(/clients\[0\]\.tokenExchange/);
    expect(problems({ idJag: { audiences: [] } }).join()).toMatch(/clients\[0\]\.tokenExchange\.idJag\.audiences/);
    expect(problems({ idJag: { audiences: ['a'], lifetimeSeconds: 86400 } }).join()).toMatch(/lifetimeSeconds/);
    expect(problems({ idJag: { audiences: ['a'], resources: ['not a url'] } }).join()).toMatch(/resources/);
    expect(problems({ idJag: { audiences: ['a'], scopes: ['two words'] } }).join()).toMatch(/scopes/);
  });
});
