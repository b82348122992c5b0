/**
 * One generator per endpoint: each draws a request (method, path, headers, body) that mixes valid pieces (a real
 * client, a real authRequestID, a real signed legacy JWT) with hostile ones. `ENDPOINT_FUZZERS` is the list the run
 * iterates over; a new endpoint adds its entry here (and its path to `CHANNEL` in harness.ts), nothing else changes.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import {
  CLI,
  CLI_CONFIDENTIAL,
  DEVICE_GRANT,
  DEVICE_STARTS_PER_MINUTE,
  EXCHANGE,
  fuzzOne,
  ISSUER,
  LEGACY_HEADER,
  SPA,
  WEB,
  type FuzzTarget,
} from './harness.ts';

export interface EndpointFuzzer {
  name: string;
  /** Share of the run's requests (weights are relative). */
  weight: number;
  arbitrary: fc.Arbitrary<unknown>;
  /** Runs before the batch (and before its key count): state the fuzzer's requests build on. */
  setup?(target: FuzzTarget): Promise<void>;
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

const basicOf = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const cookieOf = (response: Response) => (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
const csrfIn = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1];

/** Per target: a few real pending device authorizations (started by the confidential client), and the starts seen. */
interface DeviceState {
  pool: { deviceCode: string; userCode: string }[];
  starts: Map<number, number>;
}
const POOL_SIZE = 20;
const deviceStates = new WeakMap<FuzzTarget, DeviceState>();
async function deviceState(target: FuzzTarget): Promise<DeviceState> {
  let state = deviceStates.get(target);
  if (state) return state;
  state = { pool: [], starts: new Map() };
  deviceStates.set(target, state);
  for (let i = 0; i < POOL_SIZE; i++) {
    const response = await target.request('/device_authorization', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicOf(CLI_CONFIDENTIAL.clientId, CLI_CONFIDENTIAL.secret) },
      body: 'scope=openid%20profile',
    });
    if (response.status !== 200) throw new Error(`could not start a device authorization: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as { device_code: string; user_code: string };
    state.pool.push({ deviceCode: body.device_code, userCode: body.user_code });
  }
  state.starts.set(Math.floor(target.clock.now() / 60_000), POOL_SIZE);
  return state;
}

/** A rejected /device entry counts the wrong code (rate-limit counters, bounded by the limits' windows). */
const DEVICE_PAGE_WRITES = /^(setIfAbsent|compareAndSwap) rate:device-wrong-(global|browser:\S+):\d+$/;
/** A rejected poll of a real pending code updates that record's lastPolledAt/interval (RFC 8628 §3.5 slow_down). */
const DEVICE_POLL_WRITES = /^compareAndSwap device:\S+$/;

const userCodes = (pool: fc.Arbitrary<string>) =>
  fc.oneof(
    pool,
    pool.map((c) => c.replace('-', '').toLowerCase()),
    pool.map((c) => ` ${c} `),
    fc.stringMatching(/^[B-DF-HJ-NP-TV-Z]{4}-[B-DF-HJ-NP-TV-Z]{4}$/),
    nasty,
  );
const POOL_CODE = 'pool-code';

/** POST /device_authorization: client identification and authentication, scopes, bodies. */
const deviceAuthorization: EndpointFuzzer = {
  setup: async (target) => void (await deviceState(target)),
  name: 'device_authorization (client_id, scope, bodies)',
  weight: 2,
  arbitrary: fc.record({
    contentType: contentTypes,
    authorization: maybe(
      fc.oneof(
        fc.constant(basicOf(CLI_CONFIDENTIAL.clientId, CLI_CONFIDENTIAL.secret)),
        fc.constant(basicOf(CLI_CONFIDENTIAL.clientId, 'wrong')),
        fc.constant(basicOf(CLI.clientId, '')),
        basic,
      ),
    ),
    raw: maybe(nasty),
    form: params({
      client_id: maybe(repeated(fc.oneof(fc.constantFrom(CLI.clientId, CLI_CONFIDENTIAL.clientId, 'CLI', 'cli '), clientIds))),
      client_secret: maybe(fc.oneof(fc.constant(CLI_CONFIDENTIAL.secret), nasty)),
      scope: maybe(
        repeated(
          fc.oneof(
            fc.constantFrom('openid', 'openid profile email groups', 'openid offline_access', 'profile', 'openid urn:zitadel:iam:org:idp:id:legacy', ''),
            scopes,
          ),
        ),
      ),
      client_assertion_type: maybe(fc.constantFrom('urn:ietf:params:oauth:client-assertion-type:jwt-bearer', 'x')),
      client_assertion: maybe(jwtLike),
      audience: maybe(nasty),
    }),
  }),
  async run(target, value: { contentType: string; authorization?: string; raw?: string; form: Record<string, unknown> }) {
    const state = await deviceState(target);
    const headers: Record<string, string> = { 'content-type': value.contentType };
    if (value.authorization !== undefined) headers.authorization = value.authorization;
    const body = value.raw ?? (value.contentType === 'application/json' ? JSON.stringify(value.form) : encode(value.form));
    const response = await fuzzOne(target, '/device_authorization', { method: 'POST', headers: safeHeaders(headers), body }, value);
    if (response.status !== 200) return;
    const started = (await response.json()) as Record<string, unknown>;
    expect(started).toMatchObject({ verification_uri: `${ISSUER}/device`, expires_in: 600, interval: 5 });
    expect(started.device_code).toMatch(/^[0-9a-f]{64}$/);
    // Accepted starts stay within the per-client limit: two device clients, one fixed window per minute.
    const window = Math.floor(target.clock.now() / 60_000);
    state.starts.set(window, (state.starts.get(window) ?? 0) + 1);
    expect(state.starts.get(window)).toBeLessThanOrEqual(2 * DEVICE_STARTS_PER_MINUTE);
  },
};

/** GET/POST /device: user codes (real, reshaped, random), the sealed form token, and binding cookies that do not match. */
const devicePage: EndpointFuzzer = {
  setup: async (target) => void (await deviceState(target)),
  name: 'device page (user_code, csrf, cookies)',
  weight: 2,
  arbitrary: fc.record({
    method: fc.constantFrom('GET', 'POST', 'POST', 'POST'),
    poolIndex: fc.nat(POOL_SIZE - 1),
    userCode: maybe(repeated(userCodes(fc.constant(POOL_CODE)))),
    cookie: fc.oneof(
      fc.constantFrom('real', 'real', 'other', 'none'),
      nasty.map((s) => `__Host-jib-binding=${encodeURIComponent(s)}`),
      nasty.map(encodeURIComponent),
    ),
    csrf: fc.oneof(fc.constantFrom('real', 'real', 'other', 'confirm', 'missing', 'twice'), nasty),
    action: maybe(fc.oneof(fc.constantFrom('enter', 'enter', 'approve', 'deny', 'x', ''), nasty)),
    contentType: fc.oneof(fc.constant('application/x-www-form-urlencoded'), contentTypes),
  }),
  async run(
    target,
    value: { method: string; poolIndex: number; userCode?: string | string[]; cookie: string; csrf: string; action?: string; contentType: string },
  ) {
    const { pool } = await deviceState(target);
    const realCode = pool[value.poolIndex]!.userCode;
    const withCode = (code: string) => code.replace(POOL_CODE, realCode);
    const userCode = Array.isArray(value.userCode) ? value.userCode.map(withCode) : value.userCode === undefined ? undefined : withCode(value.userCode);
    // A real browser (its binding cookie and form token) and another one.
    const visit = async () => {
      const page = await target.request('/device');
      return { cookie: cookieOf(page), csrf: csrfIn(await page.text()) };
    };
    const [mine, other] = [await visit(), await visit()];
    let csrf: string | string[] | undefined =
      { real: mine.csrf, other: other.csrf, missing: undefined, twice: [mine.csrf!, mine.csrf!] }[value.csrf] ?? value.csrf;
    if (value.csrf === 'confirm') {
      // The confirmation page's token (bound to one device record), from entering the real code in this browser.
      const confirm = await target.request('/device', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: mine.cookie },
        body: encode({ csrf: mine.csrf, action: 'enter', user_code: realCode }),
      });
      csrf = csrfIn(await confirm.text());
      // That entry's writes (binding the record, the counted-then-refunded wrong-code counters) are this step's own.
      target.boundedWrites += target.takeWrites().length;
    }
    const cookie = value.cookie === 'real' ? mine.cookie : value.cookie === 'other' ? other.cookie : value.cookie === 'none' ? undefined : value.cookie;
    const headers: Record<string, string> = cookie ? { cookie } : {};
    if (value.method === 'GET') {
      await fuzzOne(target, `/device?${encode({ user_code: userCode })}`, { headers: safeHeaders(headers) }, value, DEVICE_PAGE_WRITES);
      return;
    }
    const body = encode({ csrf, action: value.action, user_code: userCode });
    await fuzzOne(
      target,
      '/device',
      { method: 'POST', headers: safeHeaders({ ...headers, 'content-type': value.contentType }), body },
      value,
      DEVICE_PAGE_WRITES,
    );
  },
};

/** /token with the device_code grant: real pending codes, random ones, other clients, every client authentication. */
const deviceToken: EndpointFuzzer = {
  setup: async (target) => void (await deviceState(target)),
  name: 'token device_code grant (device codes, client auth)',
  weight: 2,
  arbitrary: fc.record({
    poolIndex: fc.nat(POOL_SIZE - 1),
    grantType: fc.oneof({ weight: 8, arbitrary: fc.constant(DEVICE_GRANT) }, { weight: 1, arbitrary: fc.constant([DEVICE_GRANT, DEVICE_GRANT]) }),
    deviceCode: maybe(
      repeated(
        fc.oneof(
          fc.constant(POOL_CODE),
          fc.constant(POOL_CODE.toUpperCase()),
          fc.stringMatching(/^[0-9a-f]{64}$/),
          fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
          nasty,
        ),
      ),
    ),
    client: fc.constantFrom('public', 'public', 'confidential-basic', 'confidential-body', 'confidential-wrong', 'web-basic', 'none', 'unknown'),
    contentType: fc.oneof({ weight: 6, arbitrary: fc.constant('application/x-www-form-urlencoded') }, { weight: 1, arbitrary: contentTypes }),
    extra: params({ scope: maybe(scopes), client_assertion: maybe(jwtLike), code: maybe(nasty), refresh_token: maybe(nasty) }),
  }),
  async run(
    target,
    value: {
      poolIndex: number;
      grantType: string | string[];
      deviceCode?: string | string[];
      client: string;
      contentType: string;
      extra: Record<string, unknown>;
    },
  ) {
    const { pool } = await deviceState(target);
    const real = pool[value.poolIndex]!.deviceCode;
    const withCode = (code: string) => (code === POOL_CODE ? real : code === POOL_CODE.toUpperCase() ? real.toUpperCase() : code);
    const deviceCode = Array.isArray(value.deviceCode) ? value.deviceCode.map(withCode) : value.deviceCode && withCode(value.deviceCode);
    const headers: Record<string, string> = { 'content-type': value.contentType };
    const form: Record<string, unknown> = { ...value.extra, grant_type: value.grantType, device_code: deviceCode };
    if (value.client === 'public') form.client_id = CLI.clientId;
    if (value.client === 'confidential-basic') headers.authorization = basicOf(CLI_CONFIDENTIAL.clientId, CLI_CONFIDENTIAL.secret);
    if (value.client === 'confidential-body') Object.assign(form, { client_id: CLI_CONFIDENTIAL.clientId, client_secret: CLI_CONFIDENTIAL.secret });
    if (value.client === 'confidential-wrong') headers.authorization = basicOf(CLI_CONFIDENTIAL.clientId, 'wrong');
    if (value.client === 'web-basic') headers.authorization = basicOf(WEB.clientId, WEB.secret);
    if (value.client === 'unknown') form.client_id = 'unknown';
    const boundedBefore = target.boundedWrites;
    const response = await fuzzOne(target, '/token', { method: 'POST', headers: safeHeaders(headers), body: encode(form) }, value, DEVICE_POLL_WRITES);
    // Nobody approved these codes: a poll never yields tokens, and only a pending poll touches the record.
    expect(response.status).not.toBe(200);
    const { error } = (await response.json()) as { error?: string };
    if (error !== 'authorization_pending' && error !== 'slow_down') expect(target.boundedWrites, `${error} changed a device record`).toBe(boundedBefore);
  },
};

const TOKEN_TYPES = [
  'urn:ietf:params:oauth:token-type:jwt',
  'urn:ietf:params:oauth:token-type:id_token',
  'urn:ietf:params:oauth:token-type:access_token',
  'urn:ietf:params:oauth:token-type:refresh_token',
  'urn:ietf:params:oauth:token-type:id-jag',
];

/** /token token exchange: subject tokens (random, JWT-shaped, really signed legacy JWTs), token types, targets, scopes. */
const tokenExchange: EndpointFuzzer = {
  name: 'token exchange (subject_token, types, audience, resource, scope)',
  weight: 2,
  arbitrary: fc.record({
    client: fc.constantFrom('exchange', 'exchange', 'exchange', 'exchange-wrong', 'web', 'public', 'none'),
    clean: fc.constantFrom(true, false, false, false),
    subject: fc.oneof(
      jwtLike,
      nasty,
      fc.record({
        sub: fc.oneof(fc.constantFrom('alice', 'bob', 'alice', 'bob'), nasty, fc.integer(), fc.constant(undefined)),
        aud: fc.oneof(fc.constant('jwt-idp-bridge'), fc.constant('jwt-idp-bridge'), fc.constant(undefined), nasty),
        exp: fc.oneof(fc.integer({ min: -1000, max: 100_000 }), fc.integer({ min: 60, max: 3600 }), fc.constant(undefined)),
        jti: maybe(fc.oneof(fc.uuid(), nasty)),
        email: maybe(nasty),
        groups: maybe(fc.array(nasty, { maxLength: 3 })),
      }),
    ),
    form: params({
      subject_token_type: maybe(
        repeated(
          fc.oneof(
            { weight: 4, arbitrary: fc.constant(TOKEN_TYPES[0]!) },
            { weight: 1, arbitrary: fc.constantFrom(...TOKEN_TYPES) },
            { weight: 1, arbitrary: nasty },
          ),
        ),
      ),
      requested_token_type: maybe(fc.oneof(fc.constantFrom(...TOKEN_TYPES), nasty)),
      audience: maybe(repeated(fc.oneof(fc.constantFrom(EXCHANGE.audience, ISSUER, 'https://other.example.com'), nasty))),
      resource: maybe(repeated(fc.oneof(fc.constantFrom('https://api.example.com', ISSUER, 'urn:x'), fc.webUrl(), nasty))),
      scope: maybe(fc.oneof(fc.constantFrom('openid', 'openid offline_access', 'todos.read', 'openid profile todos.read todos.write', ''), scopes)),
      actor_token: maybe(jwtLike),
      actor_token_type: maybe(fc.constantFrom(...TOKEN_TYPES)),
    }),
  }),
  async run(target, value: { client: string; clean: boolean; subject: unknown; form: Record<string, unknown> }) {
    let subjectToken: string;
    if (typeof value.subject === 'string') subjectToken = value.subject;
    else {
      const claims = value.subject as Record<string, unknown>;
      const now = Math.floor(target.clock.now() / 1000);
      subjectToken = await target.legacy.mint({ ...claims, exp: claims.exp === undefined ? undefined : now + (claims.exp as number) });
    }
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    // One in four is a well-formed legacy JWT exchange (only the subject and the client vary), so the accepting path is fuzzed too.
    const rest = value.clean ? { subject_token_type: TOKEN_TYPES[0], scope: value.form.scope } : value.form;
    const form: Record<string, unknown> = { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: subjectToken, ...rest };
    if (value.client === 'exchange') headers.authorization = basicOf(EXCHANGE.clientId, EXCHANGE.secret);
    if (value.client === 'exchange-wrong') headers.authorization = basicOf(EXCHANGE.clientId, 'wrong');
    if (value.client === 'web') headers.authorization = basicOf(WEB.clientId, WEB.secret);
    if (value.client === 'public') form.client_id = CLI.clientId;
    await fuzzOne(target, '/token', { method: 'POST', headers: safeHeaders(headers), body: encode(form) }, value);
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

export const ENDPOINT_FUZZERS: EndpointFuzzer[] = [
  authorize,
  jwtEndpoint,
  callback,
  token,
  bearerTokens,
  revoke,
  endSession,
  // The device flow; the pool of pending codes is started (by the confidential client) before the starts are fuzzed.
  devicePage,
  deviceToken,
  deviceAuthorization,
  tokenExchange,
];
