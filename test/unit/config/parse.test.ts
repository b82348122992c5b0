import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.ts';
import { parseConfig, validateConfig } from '../../../src/config/parse.ts';

const base = {
  issuer: 'https://accounts.example.com',
  identityProviders: [
    { id: 'legacy', issuer: 'https://issuer.example.internal', keysEndpoint: 'https://issuer.example.internal/keys', jwtEndpoint: 'https://apps.example.com/existing/auth-new', audiences: ['bridge'], trustedProxy: 'none' },
  ],
  clients: [{ clientId: 'new-app', clientSecret: 'a-long-enough-secret', redirectUris: ['https://new.example.com/callback'], identityProviders: ['legacy'] }],
};

/** Applies `mutate` to a deep copy of the valid base config and returns the problems as "path: message". */
function problemsOf(mutate: (config: any) => void): string[] {
  const config = structuredClone(base) as any;
  mutate(config);
  try {
    validateConfig(config);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('accepts the minimal example and fills the documented defaults', () => {
    const config = validateConfig(base);
    expect(config.server).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.store).toEqual({ type: 'memory', keyPrefix: 'jib:' });
    const idp = config.identityProviders[0]!;
    expect(idp.headerName).toBe('authorization');
    expect(idp.algorithms).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA']);
    expect(idp.clockToleranceSeconds).toBe(30);
    expect(idp.maxTokenAgeSeconds).toBe(3600);
    expect(idp.autoRegister).toBe(true);
    expect(idp.autoUpdate).toBe(true);
    expect(idp.loginUrl).toBeNull();
    expect(idp.keysCache).toEqual({ timeoutSeconds: 5, maxAgeSeconds: 600, cooldownSeconds: 30, staleIfErrorSeconds: 3600 });
    expect(config.tokens.codeTtlSeconds).toBe(60);
    expect(config.clients[0]!.idTokenSignedResponseAlg).toBe('RS256');
  });

  it.each([
    ['issuer over plain http', (c: any) => (c.issuer = 'http://accounts.example.com'), 'issuer: must be an https URL (http allowed only for loopback)'],
    ['issuer with a trailing slash', (c: any) => (c.issuer = 'https://accounts.example.com/'), 'issuer: must not end with "/"'],
    ['issuer that is not a URL', (c: any) => (c.issuer = 'accounts'), 'issuer: must be an absolute URL'],
    ['keysEndpoint over plain http', (c: any) => (c.identityProviders[0].keysEndpoint = 'http://issuer.example.internal/keys'), 'identityProviders[0].keysEndpoint: must be an https URL (http allowed only for loopback)'],
    ['jwtEndpoint with a fragment', (c: any) => (c.identityProviders[0].jwtEndpoint = 'https://apps.example.com/x#y'), 'identityProviders[0].jwtEndpoint: must not contain a fragment'],
    ['redirect URI over plain http', (c: any) => c.clients[0].redirectUris.push('http://new.example.com/cb'), 'clients[0].redirectUris[1]: must be an https URL (http allowed only for loopback)'],
    ['redirect URI not absolute', (c: any) => c.clients[0].redirectUris.push('/callback'), 'clients[0].redirectUris[1]: must be an absolute URL'],
    ['alg none', (c: any) => (c.identityProviders[0].algorithms = ['RS256', 'none']), 'identityProviders[0].algorithms[1]: "none" is never accepted'],
    ['HMAC alg', (c: any) => (c.identityProviders[0].algorithms = ['HS256']), 'identityProviders[0].algorithms[0]: HMAC algorithms are not accepted'],
    ['no key source', (c: any) => delete c.identityProviders[0].keysEndpoint, 'identityProviders[0].keysEndpoint: exactly one of keysEndpoint, discoveryUrl or publicKeys is required'],
    ['two key sources', (c: any) => (c.identityProviders[0].discoveryUrl = 'https://issuer.example.internal/.well-known/openid-configuration'), 'identityProviders[0].discoveryUrl: exactly one of keysEndpoint, discoveryUrl or publicKeys is required'],
    ['unknown key', (c: any) => (c.identityProviders[0].headername = 'x'), 'identityProviders[0]: unknown key "headername"'],
    ['bad header name', (c: any) => (c.identityProviders[0].headerName = 'x custom'), 'identityProviders[0].headerName: must be a valid HTTP header name'],
    ['client naming an unknown IdP', (c: any) => (c.clients[0].identityProviders = ['nope']), 'clients[0].identityProviders[0]: unknown identity provider "nope"'],
    ['duplicate client ids', (c: any) => c.clients.push({ ...c.clients[0] }), 'clients[1].clientId: duplicate clientId "new-app"'],
    ['duplicate IdP ids', (c: any) => c.identityProviders.push({ ...c.identityProviders[0] }), 'identityProviders[1].id: duplicate id "legacy"'],
    ['short client secret', (c: any) => (c.clients[0].clientSecret = 'short'), 'clients[0].clientSecret: must be at least 16 characters'],
    ['redis without url', (c: any) => (c.store = { type: 'redis' }), 'store.url: is required when store.type is "redis"'],
    ['port of the wrong type', (c: any) => (c.server = { port: '8080' }), 'server.port: must be a number'],
    ['missing issuer', (c: any) => delete c.issuer, 'issuer: is required'],
    ['no identity providers', (c: any) => (c.identityProviders = []), 'identityProviders: must list at least one identity provider'],
    ['tolerance out of range', (c: any) => (c.identityProviders[0].clockToleranceSeconds = 3600), 'identityProviders[0].clockToleranceSeconds:'],
  ])('names the key path: %s', (_name, mutate, expected) => {
    const problems = problemsOf(mutate);
    expect(problems.some((p) => p.startsWith(expected)), `problems were:\n${problems.join('\n')}`).toBe(true);
  });

  it('allows plain http only for loopback hosts', () => {
    for (const host of ['localhost', '127.0.0.1', '127.9.9.9', '[::1]', 'app.localhost']) {
      expect(problemsOf((c) => (c.clients[0].redirectUris = [`http://${host}:3000/cb`]))).toEqual([]);
    }
    expect(problemsOf((c) => (c.clients[0].redirectUris = ['http://128.0.0.1/cb']))).toHaveLength(1);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf((c) => {
      c.issuer = 'http://x.example';
      c.clients[0].redirectUris = ['ftp://x'];
      c.identityProviders[0].algorithms = ['none'];
    });
    expect(problems).toHaveLength(3);
  });

  it('interpolates ${VAR} from the environment and names a missing variable with its key path', () => {
    const text = `
issuer: https://accounts.example.com
identityProviders:
  - id: legacy
    issuer: \${LEGACY_ISSUER}
    keysEndpoint: https://issuer.example.internal/keys
    jwtEndpoint: https://apps.example.com/existing/auth-new
    trustedProxy: { sharedSecret: "\${WAF_SECRET}" }
clients:
  - clientId: new-app
    clientSecret: "$\${NOT_INTERPOLATED}-literal"
    redirectUris: [https://new.example.com/callback]
    identityProviders: [legacy]
`;
    const config = parseConfig(text, { LEGACY_ISSUER: 'https://issuer.example.internal', WAF_SECRET: 'waf-secret-0123456789' });
    expect(config.identityProviders[0]!.issuer).toBe('https://issuer.example.internal');
    expect(config.identityProviders[0]!.trustedProxy!.sharedSecret).toBe('waf-secret-0123456789');
    expect(config.clients[0]!.clientSecret).toBe('${NOT_INTERPOLATED}-literal');

    expect(() => parseConfig(text, { LEGACY_ISSUER: 'https://issuer.example.internal' })).toThrow(
      'identityProviders[0].trustedProxy.sharedSecret: environment variable WAF_SECRET is not set',
    );
  });

  it('parses JSON as well as YAML, and rejects what is neither', () => {
    expect(parseConfig(JSON.stringify(base)).issuer).toBe(base.issuer);
    expect(() => parseConfig('issuer: [unclosed')).toThrow(/not valid YAML or JSON/);
    expect(() => parseConfig('- just\n- a list')).toThrow(/must be a mapping/);
    expect(() => parseConfig('issuer: a\nissuer: b')).toThrow(/not valid YAML or JSON/);
  });
});
