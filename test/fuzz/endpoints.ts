/**
 * One generator per endpoint: each draws a request (method, path, headers, body) that mixes valid pieces (a real
 * client, a real authRequestID, a real signed legacy JWT) with hostile ones. `ENDPOINT_FUZZERS` is the list the run
 * iterates over. Extension point: the device flow (`/device_authorization`, `/device`, the device_code grant) adds its
 * own entry here once it exists (and `CHANNEL` in harness.ts gets its paths); nothing else needs to change.
 */
import fc from 'fast-check';
import { fuzzOne, LEGACY_HEADER, SPA, WEB, type FuzzTarget } from './harness.ts';

export interface EndpointFuzzer {
  name: string;
  /** Share of the run's requests (weights are relative). */
  weight: number;
  arbitrary: fc.Arbitrary<unknown>;
  /** Sends the request(s) for one generated value through `fuzzOne`. */
  run(target: FuzzTarget, value: never): Promise<void>;
}

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Strings that break parsers: control characters, long runs, percent-encoding, unicode, JSON and URL fragments. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\r\n', '%00', '%', '%zz', '\u0000', '../../etc/passwd', '<script>alert(1)</script>', '{"a":', 'null', '[]', '😀', 'a'.repeat(5000)),
  fc.webUrl(),
  fc.base64String({ maxLength: 60 }),
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const params = (record: Record<string, fc.Arbitrary<string | string[] | undefined>>) => fc.record(record);
const repeated = (arb: fc.Arbitrary<string>) =>
  fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: fc.array(arb, { minLength: 2, maxLength: 3 }) });

function encode(values: Record<string, unknown>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) search.append(name, String(one));
  }
  return search.toString();
}

const clientIds = fc.constantFrom(WEB.clientId, SPA.clientId, 'unknown', '', 'web-app ');
const redirectUris = fc.oneof(fc.constantFrom(WEB.redirectUri, SPA.redirectUri, `${WEB.redirectUri}/`, `${WEB.redirectUri}?x=1`, 'javascript:alert(1)'), nasty);
const scopes = fc.oneof(
  fc.constantFrom(
    'openid',
    'openid profile email',
    'openid urn:zitadel:iam:org:idp:id:legacy',
    'openid urn:zitadel:iam:org:idp:id:other',
    'profile',
    'openid offline_access',
  ),
  nasty,
);
const basic = fc.oneof(
  fc.constant(`Basic ${Buffer.from(`${WEB.clientId}:${WEB.secret}`).toString('base64')}`),
  fc.constant(`Basic ${Buffer.from(`${WEB.clientId}:wrong`).toString('base64')}`),
  nasty.map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
  nasty.map((s) => `Basic ${s}`),
  nasty,
);

/** JWT-shaped strings: structured header and payload (alg none/HS/unknown, crit, jku…), random signature. */
const jwtLike = fc
  .record({
    header: fc.record(
      {
        alg: fc.oneof(fc.constantFrom('ES256', 'RS256', 'none', 'HS256', 'ES512', 'EdDSA', 'PS256'), nasty),
        kid: fc.oneof(fc.constant(undefined), nasty, fc.integer()),
        typ: fc.oneof(fc.constantFrom('JWT', 'at+jwt', 'logout+jwt'), nasty),
        crit: fc.constantFrom(undefined, ['exp'], 'b64'),
        jku: fc.constantFrom(undefined, 'https://evil.example/keys'),
      },
      { requiredKeys: ['alg'] },
    ),
    payload: fc.oneof(
      fc.record(
        {
          iss: fc.oneof(fc.constant('https://accounts.example.com'), nasty),
          sub: fc.oneof(nasty, fc.integer(), fc.constant('a'.repeat(300))),
          aud: fc.oneof(fc.constantFrom('jwt-idp-bridge', WEB.clientId), fc.array(nasty, { maxLength: 3 })),
          exp: fc.oneof(fc.integer(), fc.double(), nasty),
          iat: fc.oneof(fc.integer(), nasty),
          nbf: fc.integer(),
          client_id: clientIds,
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue(),
    ),
    signature: fc.oneof(
      fc.constant(''),
      fc.base64String({ maxLength: 90 }).map((s) => s.replace(/=/g, '')),
      nasty,
    ),
    segments: fc.constantFrom(3, 3, 3, 2, 5),
  })
  .map(({ header, payload, signature, segments }) => {
    const parts = [b64(header), b64(payload), signature];
    while (parts.length < segments) parts.push(b64('x'));
    return parts.slice(0, segments).join('.');
  });

const bearer = fc.oneof(
  jwtLike.map((t) => `Bearer ${t}`),
  nasty.map((t) => `Bearer ${t}`),
  jwtLike.map((t) => `bearer  ${t}`),
  nasty,
  jwtLike.map((t) => `DPoP ${t}`),
);
const contentTypes = fc.constantFrom(
  'application/x-www-form-urlencoded',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  '',
  'application/x-www-form-urlencoded; charset=latin1',
);

/** A real authRequestID (the browser's first step), with its binding cookie, for the JWT endpoint and callback fuzzers. */
async function startLogin(target: FuzzTarget, client: 'web' | 'spa'): Promise<{ id: string; cookie: string }> {
  const c = client === 'web' ? WEB : SPA;
  const query = encode({
    client_id: c.clientId,
    redirect_uri: c.redirectUri,
    response_type: 'code',
    scope: 'openid profile',
    state: 'st',
    nonce: 'n',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  });
  const response = await target.request(`/authorize?${query}`);
  const location = response.headers.get('location') ?? '';
  const id = new URL(location, 'https://x').searchParams.get('authRequestID');
  if (!id) throw new Error(`authorize did not start a login: ${response.status} ${location}`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return { id, cookie };
}

const authorize: EndpointFuzzer = {
  name: 'authorize',
  weight: 3,
  arbitrary: fc.record({
    method: fc.constantFrom('GET', 'POST'),
    params: params({
      client_id: maybe(repeated(clientIds)),
      redirect_uri: maybe(repeated(redirectUris)),
      response_type: maybe(fc.oneof(fc.constantFrom('code', 'token', 'id_token', 'code id_token', ''), nasty)),
      scope: maybe(scopes),
      state: maybe(nasty),
      nonce: maybe(nasty),
      code_challenge: maybe(fc.oneof(fc.constant('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'), nasty)),
      code_challenge_method: maybe(fc.constantFrom('S256', 'plain', 's256', '')),
      prompt: maybe(fc.constantFrom('none', 'login', 'consent', 'select_account', 'none login', '')),
      max_age: maybe(fc.oneof(fc.integer().map(String), nasty)),
      response_mode: maybe(fc.constantFrom('query', 'fragment', 'form_post', 'jwt')),
      request: maybe(jwtLike),
      request_uri: maybe(nasty),
      login_hint: maybe(nasty),
      id_token_hint: maybe(jwtLike),
    }),
  }),
  async run(target, value: { method: string; params: Record<string, unknown> }) {
    const body = encode(value.params);
    const init: RequestInit = value.method === 'GET' ? {} : { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body };
    await fuzzOne(target, value.method === 'GET' ? `/authorize?${body}` : '/authorize', init, value);
  },
};

/** The legacy header at the JWT endpoint, on a real pending login: random, JWT-shaped, and really signed with odd claims. */
const jwtEndpoint: EndpointFuzzer = {
  name: 'jwt endpoint (legacy header)',
  weight: 3,
  arbitrary: fc.record({
    header: fc.oneof(
      jwtLike,
      nasty,
      jwtLike.map((t) => `Bearer ${t}`),
      fc.record({
        sub: fc.oneof(nasty, fc.integer(), fc.constant(undefined)),
        aud: fc.oneof(fc.constant('jwt-idp-bridge'), fc.constant(undefined), nasty),
        exp: fc.oneof(fc.integer({ min: -1000, max: 100_000 }), fc.constant(undefined)),
        email: maybe(nasty),
        groups: maybe(fc.array(nasty, { maxLength: 3 })),
        name: maybe(fc.oneof(nasty, fc.jsonValue())),
      }),
    ),
    query: fc.constantFrom('real', 'random', 'missing', 'twice'),
    randomId: nasty,
    extraHeaders: fc.dictionary(fc.constantFrom('x-forwarded-for', 'cookie', 'x-waf-secret', 'x-custom-tkn-2'), nasty, { maxKeys: 2 }),
  }),
  async run(target, value: { header: unknown; query: string; randomId: string; extraHeaders: Record<string, string> }) {
    const { id } = await startLogin(target, 'web');
    let token: string;
    if (typeof value.header === 'string') token = value.header;
    else {
      const claims = value.header as Record<string, unknown>;
      const now = Math.floor(target.clock.now() / 1000);
      token = await target.legacy.mint({ iat: now, ...claims, exp: claims.exp === undefined ? undefined : now + (claims.exp as number) });
    }
    const query =
      value.query === 'real'
        ? `authRequestID=${id}`
        : value.query === 'random'
          ? encode({ authRequestID: value.randomId })
          : value.query === 'twice'
            ? `authRequestID=${id}&authRequestID=${id}`
            : '';
    const headers = safeHeaders({ ...value.extraHeaders, [LEGACY_HEADER]: token });
    await fuzzOne(target, `/login/jwt?${query}`, { headers }, value);
  },
};

/** The callback: real or random authRequestID, completion values and binding cookies that do not match. */
const callback: EndpointFuzzer = {
  name: 'callback (cookies, completion)',
  weight: 2,
  arbitrary: fc.record({
    id: fc.constantFrom('real', 'random', 'missing'),
    randomId: nasty,
    completion: maybe(nasty),
    cookie: fc.oneof(
      fc.constant('real'),
      fc.constant('none'),
      nasty.map((s) => `__Host-jib-binding=${encodeURIComponent(s)}`),
      nasty.map(encodeURIComponent),
    ),
  }),
  async run(target, value: { id: string; randomId: string; completion?: string; cookie: string }) {
    const login = await startLogin(target, 'spa');
    const query = encode({ authRequestID: value.id === 'real' ? login.id : value.id === 'random' ? value.randomId : undefined, completion: value.completion });
    const cookie = value.cookie === 'real' ? login.cookie : value.cookie === 'none' ? undefined : value.cookie;
    await fuzzOne(target, `/login/jwt/callback?${query}`, cookie ? { headers: { cookie } } : {}, value);
  },
};

/** /token: every grant type, bodies and client authentication in every shape. */
const token: EndpointFuzzer = {
  name: 'token (bodies, client auth)',
  weight: 4,
  arbitrary: fc.record({
    contentType: contentTypes,
    authorization: maybe(basic),
    raw: maybe(nasty),
    form: params({
      grant_type: maybe(
        repeated(
          fc.oneof(
            fc.constantFrom(
              'authorization_code',
              'refresh_token',
              'client_credentials',
              'password',
              'urn:ietf:params:oauth:grant-type:token-exchange',
              'urn:ietf:params:oauth:grant-type:device_code',
              'urn:ietf:params:oauth:grant-type:jwt-bearer',
            ),
            nasty,
          ),
        ),
      ),
      code: maybe(fc.oneof(fc.base64String({ minLength: 44, maxLength: 44 }), nasty)),
      redirect_uri: maybe(redirectUris),
      code_verifier: maybe(nasty),
      refresh_token: maybe(nasty),
      client_id: maybe(repeated(clientIds)),
      client_secret: maybe(fc.oneof(fc.constant(WEB.secret), nasty)),
      client_assertion_type: maybe(fc.constantFrom('urn:ietf:params:oauth:client-assertion-type:jwt-bearer', 'x')),
      client_assertion: maybe(jwtLike),
      subject_token: maybe(jwtLike),
      subject_token_type: maybe(fc.constantFrom('urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:id_token', 'x')),
      requested_token_type: maybe(fc.constantFrom('urn:ietf:params:oauth:token-type:id-jag', 'x')),
      device_code: maybe(nasty),
      scope: maybe(scopes),
      audience: maybe(nasty),
    }),
  }),
  async run(target, value: { contentType: string; authorization?: string; raw?: string; form: Record<string, unknown> }) {
    const headers: Record<string, string> = { 'content-type': value.contentType };
    if (value.authorization !== undefined) headers.authorization = value.authorization;
    const body = value.raw ?? (value.contentType === 'application/json' ? JSON.stringify(value.form) : encode(value.form));
    await fuzzOne(target, '/token', { method: 'POST', headers: safeHeaders(headers), body }, value);
  },
};

/** Bearer tokens at /userinfo (GET header, POST header or body) and at /introspect with resource-server or client auth. */
const bearerTokens: EndpointFuzzer = {
  name: 'userinfo / introspect (bearer tokens)',
  weight: 3,
  arbitrary: fc.record({
    path: fc.constantFrom('/userinfo', '/introspect'),
    method: fc.constantFrom('GET', 'POST'),
    authorization: maybe(fc.oneof(bearer, basic, fc.constant(`Basic ${Buffer.from('api:api-secret-0123456789').toString('base64')}`))),
    body: params({ access_token: maybe(fc.oneof(jwtLike, nasty)), token: maybe(fc.oneof(jwtLike, nasty)), token_type_hint: maybe(nasty) }),
  }),
  async run(target, value: { path: string; method: string; authorization?: string; body: Record<string, unknown> }) {
    const headers: Record<string, string> = {};
    if (value.authorization !== undefined) headers.authorization = value.authorization;
    const init: RequestInit =
      value.method === 'GET'
        ? { headers: safeHeaders(headers) }
        : { method: 'POST', headers: safeHeaders({ ...headers, 'content-type': 'application/x-www-form-urlencoded' }), body: encode(value.body) };
    await fuzzOne(target, value.path, init, value);
  },
};

const revoke: EndpointFuzzer = {
  name: 'revoke',
  weight: 2,
  arbitrary: fc.record({
    authorization: maybe(basic),
    contentType: contentTypes,
    body: params({
      token: maybe(repeated(fc.oneof(jwtLike, nasty))),
      token_type_hint: maybe(fc.constantFrom('access_token', 'refresh_token', 'x')),
      client_id: maybe(clientIds),
      client_secret: maybe(nasty),
    }),
  }),
  async run(target, value: { authorization?: string; contentType: string; body: Record<string, unknown> }) {
    const headers: Record<string, string> = { 'content-type': value.contentType };
    if (value.authorization !== undefined) headers.authorization = value.authorization;
    await fuzzOne(target, '/revoke', { method: 'POST', headers: safeHeaders(headers), body: encode(value.body) }, value);
  },
};

const endSession: EndpointFuzzer = {
  name: 'end_session',
  weight: 2,
  arbitrary: fc.record({
    method: fc.constantFrom('GET', 'POST'),
    params: params({
      id_token_hint: maybe(jwtLike),
      post_logout_redirect_uri: maybe(fc.oneof(fc.constant('https://app.example.com/bye'), redirectUris)),
      state: maybe(nasty),
      client_id: maybe(clientIds),
      logout_hint: maybe(nasty),
      ui_locales: maybe(nasty),
    }),
  }),
  async run(target, value: { method: string; params: Record<string, unknown> }) {
    const body = encode(value.params);
    const init: RequestInit = value.method === 'GET' ? {} : { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body };
    await fuzzOne(target, value.method === 'GET' ? `/end_session?${body}` : '/end_session', init, value);
  },
};

/** Header values fetch refuses to send (CR/LF, non-Latin-1) are percent-encoded: the bridge must see *something*. */
function safeHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    try {
      new Headers({ [name]: value });
      out[name] = value;
    } catch {
      out[name] = encodeURIComponent(value);
    }
  }
  return out;
}

export const ENDPOINT_FUZZERS: EndpointFuzzer[] = [authorize, jwtEndpoint, callback, token, bearerTokens, revoke, endSession];
