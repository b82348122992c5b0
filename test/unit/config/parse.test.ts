import { configProblems } from '../../helpers/config.ts';
import { describe, expect, it } from 'vitest';
import { parseConfig, validateConfig } from '../../../src/config/parse.ts';

const base = {
  issuer: 'https://accounts.example.com',
  identityProviders: [
    {
      id: 'legacy',
      issuer: 'https://issuer.example.internal',
      keysEndpoint: 'https://issuer.example.internal/keys',
      jwtEndpoint: 'https://apps.example.com/existing/auth-new',
      audiences: ['bridge'],
      trustedProxy: 'none',
    },
  ],
  clients: [{ clientId: 'new-app', clientSecret: 'a-long-enough-secret', redirectUris: ['https://new.example.com/callback'], identityProviders: ['legacy'] }],
};

/** Applies `mutate` to a deep copy of the valid base config and returns the problems as "path: message". */
function problemsOf(mutate: (config: any) => void): string[] {
  const config = structuredClone(base) as any;
  mutate(config);
  return configProblems(config);
}

describe('configuration', () => {
  it('accepts the minimal example and fills the documented defaults', () => {
    const config = validateConfig(base);
    expect(config.server).toEqual({
      host: '0.0.0.0',
      port: 8080,
      workers: 1,
      headersTimeoutSeconds: 10,
      requestTimeoutSeconds: 30,
      keepAliveTimeoutSeconds: 5,
      maxConnections: 1024,
    });
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
    [
      'keysEndpoint over plain http',
      (c: any) => (c.identityProviders[0].keysEndpoint = 'http://issuer.example.internal/keys'),
      'identityProviders[0].keysEndpoint: must be an https URL (http allowed only for loopback)',
    ],
    [
      'jwtEndpoint with a fragment',
      (c: any) => (c.identityProviders[0].jwtEndpoint = 'https://apps.example.com/x#y'),
      'identityProviders[0].jwtEndpoint: must not contain a fragment',
    ],
    [
      'redirect URI over plain http',
      (c: any) => c.clients[0].redirectUris.push('http://new.example.com/cb'),
      'clients[0].redirectUris[1]: must be an https URL (http allowed only for loopback)',
    ],
    ['redirect URI not absolute', (c: any) => c.clients[0].redirectUris.push('/callback'), 'clients[0].redirectUris[1]: must be an absolute URL'],
    ['alg none', (c: any) => (c.identityProviders[0].algorithms = ['RS256', 'none']), 'identityProviders[0].algorithms[1]: "none" is never accepted'],
    ['HMAC alg', (c: any) => (c.identityProviders[0].algorithms = ['HS256']), 'identityProviders[0].algorithms[0]: HMAC algorithms are not accepted'],
    [
      'no key source',
      (c: any) => delete c.identityProviders[0].keysEndpoint,
      'identityProviders[0].keysEndpoint: exactly one of keysEndpoint, discoveryUrl or publicKeys is required',
    ],
    [
      'two key sources',
      (c: any) => (c.identityProviders[0].discoveryUrl = 'https://issuer.example.internal/.well-known/openid-configuration'),
      'identityProviders[0].discoveryUrl: exactly one of keysEndpoint, discoveryUrl or publicKeys is required',
    ],
    ['unknown key', (c: any) => (c.identityProviders[0].headername = 'x'), 'identityProviders[0]: unknown key "headername"'],
    ['bad header name', (c: any) => (c.identityProviders[0].headerName = 'x custom'), 'identityProviders[0].headerName: must be a valid HTTP header name'],
    [
      'client naming an unknown IdP',
      (c: any) => (c.clients[0].identityProviders = ['nope']),
      'clients[0].identityProviders[0]: unknown identity provider "nope"',
    ],
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
    expect(
      problems.some((p) => p.startsWith(expected)),
      `problems were:\n${problems.join('\n')}`,
    ).toBe(true);
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
    audiences: [bridge]
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

describe('fail-closed identity provider defaults (#9.3)', () => {
  const idpProblems = (mutate: (idp: any) => void) => problemsOf((c) => mutate(c.identityProviders[0]));

  it('requires audiences or allowAnyAudience: true, naming the key and both choices', () => {
    expect(idpProblems((idp) => delete idp.audiences)).toEqual([
      'identityProviders[0].audiences: is required: list the accepted aud values, or set allowAnyAudience: true to accept any audience',
    ]);
    expect(idpProblems((idp) => (idp.audiences = []))).toEqual([
      'identityProviders[0].audiences: must list at least one audience (or set allowAnyAudience: true instead)',
    ]);
    expect(idpProblems((idp) => (idp.allowAnyAudience = true))).toEqual([
      'identityProviders[0].allowAnyAudience: cannot be combined with audiences: set one of audiences or allowAnyAudience: true',
    ]);
    expect(idpProblems((idp) => ((idp.allowAnyAudience = false), delete idp.audiences))).toContain(
      'identityProviders[0].allowAnyAudience: must be true when set (list audiences instead)',
    );
    const any = structuredClone(base) as any;
    delete any.identityProviders[0].audiences;
    any.identityProviders[0].allowAnyAudience = true;
    expect(validateConfig(any).identityProviders[0]).toMatchObject({ audiences: [], allowAnyAudience: true });
    expect(validateConfig(base).identityProviders[0]).toMatchObject({ audiences: ['bridge'], allowAnyAudience: false });
  });

  it('requires trustedProxy (an object) or the explicit string none', () => {
    expect(idpProblems((idp) => delete idp.trustedProxy)).toEqual([
      'identityProviders[0].trustedProxy: is required: set trustedProxy (sharedSecret and/or sourceCidrs), or trustedProxy: none to accept requests from anywhere',
    ]);
    for (const wrong of ['None', true, 'off']) {
      expect(idpProblems((idp) => (idp.trustedProxy = wrong))).toEqual([
        'identityProviders[0].trustedProxy: must be an object (sharedSecret and/or sourceCidrs) or the string "none"',
      ]);
    }
    expect(idpProblems((idp) => (idp.trustedProxy = { sharedSecret: 'short' }))).toEqual([
      'identityProviders[0].trustedProxy.sharedSecret: must be at least 16 characters',
    ]);
    expect(idpProblems((idp) => (idp.trustedProxy = { sharedSecret: 'waf-secret-0123456789' }))).toEqual([]);
    // An object that checks nothing would fail open.
    for (const empty of [{}, { sourceCidrs: [] }, { sharedSecretHeader: 'x-waf' }]) {
      expect(idpProblems((idp) => (idp.trustedProxy = empty))).toEqual([
        expect.stringMatching(/^identityProviders\[0\]\.trustedProxy: must set sharedSecret and\/or sourceCidrs/),
      ]);
    }
    expect(idpProblems((idp) => (idp.trustedProxy = { sourceCidrs: ['10.0.0.0/8'] }))).toEqual([]);
    expect(validateConfig(base).identityProviders[0]!.trustedProxy).toBeUndefined();
  });

  it('warns once per explicit opt-out, naming the IdP', async () => {
    const { configWarnings } = await import('../../../src/config/warnings.ts');
    expect(configWarnings(validateConfig(base))).toEqual([
      'identityProviders[0] (legacy): trustedProxy: none — the JWT endpoint accepts requests that did not come through the WAF',
    ]);
    const config = structuredClone(base) as any;
    delete config.identityProviders[0].audiences;
    config.identityProviders[0].allowAnyAudience = true;
    config.identityProviders[0].trustedProxy = { sharedSecret: 'waf-secret-0123456789' };
    expect(configWarnings(validateConfig(config))).toEqual([
      'identityProviders[0] (legacy): allowAnyAudience: true — tokens for any audience are accepted; list audiences to restrict them',
    ]);
  });

  it('validates types and jwksUriOrigins', () => {
    expect(idpProblems((idp) => (idp.types = ['JWT', 'application/at+jwt']))).toEqual([]);
    expect(idpProblems((idp) => (idp.types = []))).toHaveLength(1);
    expect(idpProblems((idp) => (idp.types = ['not a type']))).toEqual([
      'identityProviders[0].types[0]: must be a media type such as "JWT" or "application/at+jwt"',
    ]);
    expect(idpProblems((idp) => (idp.jwksUriOrigins = ['https://keys.example.com']))).toEqual([
      'identityProviders[0].jwksUriOrigins: applies only with discoveryUrl',
    ]);
    const discovery = (idp: any) => {
      delete idp.keysEndpoint;
      idp.discoveryUrl = 'https://issuer.example.internal/.well-known/openid-configuration';
    };
    expect(idpProblems((idp) => (discovery(idp), (idp.jwksUriOrigins = ['https://keys.example.com'])))).toEqual([]);
    expect(idpProblems((idp) => (discovery(idp), (idp.jwksUriOrigins = ['https://keys.example.com/jwks'])))).toEqual([
      'identityProviders[0].jwksUriOrigins[0]: must be an origin (scheme://host[:port]) without a path',
    ]);
    expect(idpProblems((idp) => (discovery(idp), (idp.jwksUriOrigins = ['http://keys.example.com'])))).toEqual([
      'identityProviders[0].jwksUriOrigins[0]: must be an https URL (http allowed only for loopback)',
    ]);
  });
});

describe('trustedProxy.sourceCidrs (#9.8: refused here, not only at startup)', () => {
  it.each([['10.20.0.0/33'], ['not-an-ip'], ['10.0.0.0/'], ['fd00::/129'], ['10.0.0.256'], ['*'], [' 10.0.0.1']])('refuses %j', (cidr) => {
    const problems = problemsOf((c) => (c.identityProviders[0].trustedProxy = { sourceCidrs: ['10.0.0.0/8', cidr] }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^identityProviders\[0\]\.trustedProxy\.sourceCidrs\[1\]: /);
  });

  it.each([['10.0.0.0/8'], ['192.168.1.7'], ['10.1.2.3/32'], ['fd00::/8'], ['::1'], ['::ffff:10.0.0.0/104']])('accepts %j', (cidr) => {
    expect(problemsOf((c) => (c.identityProviders[0].trustedProxy = { sourceCidrs: [cidr] }))).toEqual([]);
  });
});
