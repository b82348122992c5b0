/**
 * The shipped nginx WAF configuration (deploy/nginx/waf.conf.template), run by a real nginx in front of the real
 * bridge: rendered like the official image renders templates, in both of its modes (cookie map; auth_request).
 *
 *   browser ──▶ nginx (rendered template) ──▶ recorder ──▶ bridge        (the recorder logs what nginx really sent)
 *                     └──────────────────────▶ fake legacy app            (everything else; mode B's session check)
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.ts';
import { createLogger } from '../../src/observability/create-logger.ts';
import { createPinoLogger } from '../../src/observability/pino.ts';
import { startNodeServer, type RunningServer } from '../../src/runtime/node.ts';
import { discoverApp } from '../helpers/app-client.ts';
import { Browser } from '../helpers/browser.ts';
import { startLegacyIssuer, type LegacyIssuer } from '../helpers/legacy-issuer.ts';
import {
  authRequestMode,
  nginxBuiltinModules,
  readWafTemplate,
  renderWafTemplate,
  startNginx,
  TEMPLATE_VARIABLES,
  type RunningNginx,
  type TemplateValues,
} from '../helpers/nginx.ts';
import { freePort } from '../helpers/ports.ts';
import { recordRequest, startRecordingProxy, type RecordedRequest, type RecordingProxy } from '../helpers/recording-proxy.ts';
import { captureLogs, legacyIdpEntry, SPA, testClients, WEB_APP } from '../helpers/stack.ts';

const JWT_PATH = '/existing/auth-new';
const SECRET = randomBytes(24).toString('hex');
type Client = { clientId: string; clientSecret?: string; redirectUri: string };

const HAS_AUTH_REQUEST = nginxBuiltinModules().includes('http_auth_request');

// ── A fake legacy application behind the WAF ──────────────────────────────────────────────────────────────────────

interface LegacyApp {
  hostPort: string;
  requests: RecordedRequest[];
  /** Opaque session id (cookie legacy_sid) → claims of the JWT the session check mints; 'fail' → HTTP 500. */
  sessions: Map<string, Record<string, unknown> | 'fail'>;
  /** Tokens the session check handed out, newest last. */
  minted: string[];
  close(): Promise<void>;
}

async function startLegacyApp(issuer: LegacyIssuer): Promise<LegacyApp> {
  const requests: RecordedRequest[] = [];
  const sessions = new Map<string, Record<string, unknown> | 'fail'>();
  const minted: string[] = [];
  const server = createServer((req, res) => {
    requests.push(recordRequest(req));
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/existing/session-jwt') {
      const sid = /(?:^|;\s*)legacy_sid=([^;]*)/.exec(req.headers.cookie ?? '')?.[1];
      const session = sid === undefined ? undefined : sessions.get(sid);
      if (session === 'fail') return void res.writeHead(500).end('session store down');
      if (!session) return void res.writeHead(401, { 'www-authenticate': 'Cookie' }).end();
      void issuer.mint(session).then((token) => {
        minted.push(token);
        res.writeHead(200, { 'x-legacy-jwt': token, 'cache-control': 'no-store' }).end();
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': 'legacy-app' }).end(`legacy app: ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    hostPort: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    sessions,
    minted,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A GET with exactly these header lines (names as written, repetitions kept) — what fetch cannot send. */
function rawGet(url: string, headers: [string, string][]): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest(
      { hostname: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, headers: [['Host', target.host], ...headers].flat() },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, location: res.headers.location });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

// ── The stack ──────────────────────────────────────────────────────────────────────────────────────────────────────

let legacy: LegacyIssuer;
let legacyApp: LegacyApp;
let recorder: RecordingProxy;
let bridge: RunningServer;
let issuer: string;
let wafCookie: RunningNginx;
let wafAuth: RunningNginx | undefined;
const captured = captureLogs();
const logs = captured.logs;

function templateValues(port: number): TemplateValues {
  return { LISTEN_PORT: String(port), BRIDGE_UPSTREAM: recorder.hostPort, LEGACY_UPSTREAM: legacyApp.hostPort, WAF_SHARED_SECRET: SECRET };
}

beforeAll(async () => {
  legacy = await startLegacyIssuer({ alg: 'ES256' });
  legacyApp = await startLegacyApp(legacy);
  const bridgePort = await freePort();
  issuer = `http://127.0.0.1:${bridgePort}`;
  recorder = await startRecordingProxy(issuer);
  wafCookie = await startNginx((port) => renderWafTemplate(readWafTemplate(), templateValues(port)));
  if (HAS_AUTH_REQUEST) wafAuth = await startNginx((port) => renderWafTemplate(authRequestMode(readWafTemplate()), templateValues(port)));

  const idp = (id: string, waf: RunningNginx) =>
    legacyIdpEntry(legacy, `${waf.url}${JWT_PATH}`, { id, trustedProxy: { sharedSecretHeader: 'x-waf-secret', sharedSecret: SECRET } });
  const idps = [idp('legacy', wafCookie), ...(wafAuth ? [idp('legacy-b', wafAuth)] : [])];
  const config = validateConfig({
    issuer,
    server: { host: '127.0.0.1', port: bridgePort },
    store: { type: 'memory' },
    logging: { level: 'info' },
    identityProviders: idps,
    clients: testClients(idps.map((i) => String(i.id))),
  });
  const logger = createLogger(createPinoLogger, config, { destination: captured.destination });
  bridge = await startNodeServer({ config, logger });
});

afterAll(async () => {
  await wafAuth?.stop();
  await wafCookie?.stop();
  await bridge?.close();
  await recorder?.close();
  await legacyApp?.close();
  await legacy?.close();
});

// ── The app side (openid-client v6, as a real relying party) ───────────────────────────────────────────────────────

async function beginLogin(client: Client, idp: string) {
  const app = await discoverApp({ issuer }, client);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const authorizationUrl = oidc.buildAuthorizationUrl(app, {
    redirect_uri: client.redirectUri,
    scope: `openid profile email urn:zitadel:iam:org:idp:id:${idp}`,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const finish = (callback: URL) =>
    oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
  return { app, authorizationUrl, finish };
}

/** The whole flow in one browser; returns the tokens, the claims and the userinfo the app gets. */
async function signIn(browser: Browser, client: Client, idp: string) {
  const { app, authorizationUrl, finish } = await beginLogin(client, idp);
  const { stoppedAt } = await browser.follow(authorizationUrl.href, client.redirectUri);
  if (!stoppedAt) throw new Error(`the flow did not return to the app: ${JSON.stringify(browser.hops)}`);
  const tokens = await finish(stoppedAt);
  const claims = tokens.claims()!;
  const userinfo = await oidc.fetchUserInfo(app, tokens.access_token, claims.sub);
  return { tokens, claims, userinfo, callback: stoppedAt };
}

/** Runs /authorize and returns where the bridge sends the browser (the WAF's JWT endpoint URL) without going there. */
async function toJwtEndpoint(browser: Browser, client: Client, idp: string) {
  const login = await beginLogin(client, idp);
  const response = await browser.request(login.authorizationUrl.href);
  expect(response.status).toBe(302);
  return { ...login, jwtEndpointUrl: new URL(response.headers.get('location')!) };
}

/** Follows from `url` back to the app's redirect_uri. */
async function followToApp(browser: Browser, url: string, client: Client): Promise<URL> {
  if (url.startsWith(client.redirectUri)) return new URL(url);
  const { stoppedAt } = await browser.follow(url, client.redirectUri);
  if (!stoppedAt) throw new Error(`the flow did not return to the app: ${JSON.stringify(browser.hops)}`);
  return stoppedAt;
}

function since<T>(list: T[], mark: number): T[] {
  return list.slice(mark);
}

const pathOf = (url: string) => {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
};

// ── Tests ──────────────────────────────────────────────────────────────────────────────────────────────────────────

describe(`deploy/nginx/waf.conf.template, mode A (cookie; nginx auth_request module ${HAS_AUTH_REQUEST ? 'built in' : 'absent: mode B skipped'})`, () => {
  it('is rendered by envsubst naming only the four placeholders; nginx variables survive', () => {
    const template = readWafTemplate();
    const placeholders = new Set([...template.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    expect([...placeholders].sort()).toEqual([...TEMPLATE_VARIABLES].sort());
    const values: TemplateValues = { LISTEN_PORT: '8081', BRIDGE_UPSTREAM: 'bridge:8080', LEGACY_UPSTREAM: 'legacy:8000', WAF_SHARED_SECRET: SECRET };
    const rendered = renderWafTemplate(template, values);
    expect(rendered).not.toMatch(/\$\{/);
    expect(rendered).toContain(`proxy_set_header x-waf-secret    "${SECRET}";`);
    for (const variable of ['$is_args$args', '$cookie_legacy_session', '$waf_legacy_jwt', '$proxy_add_x_forwarded_for', '$proxy_host', '$host'])
      expect(rendered).toContain(variable);
    // The real envsubst, with nginx-looking names defined in the environment, gives the same bytes.
    if (existsSync('/usr/bin/envsubst')) {
      const shellFormat = TEMPLATE_VARIABLES.map((name) => `\${${name}}`).join(' ');
      const result = spawnSync('/usr/bin/envsubst', [shellFormat], {
        input: template,
        encoding: 'utf8',
        env: { ...values, host: 'BROKEN', args: 'BROKEN', is_args: 'BROKEN' },
      });
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(rendered);
    }
  });

  it('1. signs a user in through real nginx: cookie → x-custom-tkn, secret added, Location not rewritten', async () => {
    const token = await legacy.mint({ sub: 'alice', email: 'alice@example.com', email_verified: true, name: 'Alice Legacy' });
    const browser = new Browser();
    browser.setCookie(wafCookie.url, 'legacy_session', token);
    const mark = recorder.requests.length;

    const { claims, userinfo, callback } = await signIn(browser, WEB_APP, 'legacy');

    expect(callback.searchParams.get('iss')).toBe(issuer);
    expect(claims).toMatchObject({ iss: issuer, aud: WEB_APP.clientId, email: 'alice@example.com', name: 'Alice Legacy' });
    expect(userinfo).toMatchObject({ sub: claims.sub, email: 'alice@example.com' });
    // authorize (bridge) → /existing/auth-new (nginx) → /login/jwt/callback (bridge) → app
    expect(browser.hops.map((hop) => pathOf(hop.url))).toEqual([`${issuer}/authorize`, `${wafCookie.url}${JWT_PATH}`, `${issuer}/login/jwt/callback`]);
    const wafHop = browser.hops[1]!;
    expect(wafHop.status).toBe(302);
    expect(wafHop.location).toMatch(new RegExp(`^${issuer.replace(/[.]/g, '\\.')}/login/jwt/callback\\?authRequestID=[^&]+&completion=[^&]+$`));

    // What nginx sent to the bridge: the JWT endpoint only, the token once, the secret, no WAF-domain cookies.
    const seen = since(recorder.requests, mark);
    expect(seen.map((r) => r.target)).toEqual([`/login/jwt${new URL(wafHop.url).search}`]);
    expect(seen[0]!.header('x-custom-tkn')).toEqual([token]);
    expect(seen[0]!.header('x-waf-secret')).toEqual([SECRET]);
    expect(seen[0]!.header('x-forwarded-for')).toEqual(['127.0.0.1']);
    expect(seen[0]!.header('cookie')).toEqual([]);
  });

  it('1b. proxy_redirect off keeps the Location intact even when proxy_pass names the bridge by its public URL', async () => {
    // The shipped proxy_pass uses an upstream name, which never matches the bridge's absolute Location; operators
    // often write the bridge's own URL instead (as ZITADEL's guide does) — then nginx's default rewrite would turn
    // {issuer}/login/jwt/callback?… into /existing/auth-new/callback?… on the WAF domain.
    const template = readWafTemplate();
    const edited = template.replace(/^(\s*)proxy_pass http:\/\/jwt_idp_bridge\/login\/jwt\$is_args\$args;/m, `$1proxy_pass ${issuer}/login/jwt;`);
    expect(edited).not.toBe(template);
    const waf = await startNginx((port) => renderWafTemplate(edited, templateValues(port)));
    try {
      const browser = new Browser();
      browser.setCookie(waf.url, 'legacy_session', await legacy.mint({ sub: 'heidi', email: 'heidi@example.com' }));
      const { jwtEndpointUrl, finish } = await toJwtEndpoint(browser, WEB_APP, 'legacy');
      const atWaf = await browser.request(`${waf.url}${jwtEndpointUrl.pathname}${jwtEndpointUrl.search}`);
      expect(atWaf.status).toBe(302);
      expect(atWaf.headers.get('location')).toMatch(new RegExp(`^${issuer.replace(/[.]/g, '\\.')}/login/jwt/callback\\?authRequestID=`));
      const tokens = await finish(await followToApp(browser, atWaf.headers.get('location')!, WEB_APP));
      expect(tokens.claims()!.email).toBe('heidi@example.com');
    } finally {
      await waf.stop();
    }
  });

  it('signs a public client in with a large legacy token next to other cookies (header buffers)', async () => {
    const token = await legacy.mint({ sub: 'bob', email: 'bob@example.com', padding: 'x'.repeat(5_000) });
    expect(token.length).toBeGreaterThan(6_500);
    expect(token.length).toBeLessThan(8 * 1024);
    const browser = new Browser();
    browser.setCookie(wafCookie.url, 'legacy_prefs', 'p'.repeat(2_000)); // the Cookie line exceeds nginx's default 8k buffer
    browser.setCookie(wafCookie.url, 'legacy_session', token);
    const mark = recorder.requests.length;

    const { claims } = await signIn(browser, SPA, 'legacy');

    expect(claims).toMatchObject({ aud: SPA.clientId, email: 'bob@example.com' });
    expect(since(recorder.requests, mark)[0]!.header('x-custom-tkn')).toEqual([token]);
  });

  it('2. strips a client-sent x-custom-tkn: without a session the app gets login_required, not a login as that user', async () => {
    const forged = await legacy.mint({ sub: 'mallory', email: 'mallory@example.com' });

    // Through the browser, one forged header.
    const browser = new Browser();
    const { jwtEndpointUrl, finish } = await toJwtEndpoint(browser, WEB_APP, 'legacy');
    expect(pathOf(jwtEndpointUrl.href)).toBe(`${wafCookie.url}${JWT_PATH}`);
    const mark = recorder.requests.length;
    const atWaf = await browser.request(jwtEndpointUrl.href, { headers: { 'x-custom-tkn': forged } });
    const callback = await followToApp(browser, atWaf.headers.get('location')!, WEB_APP);
    expect(callback.searchParams.get('error')).toBe('login_required');
    expect(callback.searchParams.get('code')).toBeNull();
    await expect(finish(callback)).rejects.toMatchObject({ error: 'login_required' });
    expect(since(recorder.requests, mark).map((r) => r.header('x-custom-tkn'))).toEqual([[]]);

    // Raw: several copies in other letter cases, plus a JWT-looking cookie injection attempt.
    const second = await toJwtEndpoint(new Browser(), WEB_APP, 'legacy');
    const mark2 = recorder.requests.length;
    const raw = await rawGet(second.jwtEndpointUrl.href, [
      ['X-Custom-Tkn', forged],
      ['X-CUSTOM-TKN', `Bearer ${forged}`],
      ['Cookie', 'legacy_session=not-a-jwt, x.y.z'],
    ]);
    expect(raw.status).toBe(302);
    expect(new URL(raw.location!).searchParams.get('error')).toBe('login_required');
    expect(since(recorder.requests, mark2).map((r) => r.header('x-custom-tkn'))).toEqual([[]]);
  });

  it('2b. with a session, the session token replaces a client-sent one (sent once, never both)', async () => {
    const own = await legacy.mint({ sub: 'frank', email: 'frank@example.com' });
    const forged = await legacy.mint({ sub: 'mallory', email: 'mallory@example.com' });
    const browser = new Browser();
    browser.setCookie(wafCookie.url, 'legacy_session', own);
    const { jwtEndpointUrl, finish } = await toJwtEndpoint(browser, WEB_APP, 'legacy');
    const mark = recorder.requests.length;
    const atWaf = await browser.request(jwtEndpointUrl.href, { headers: { 'x-custom-tkn': forged } });
    const callback = await followToApp(browser, atWaf.headers.get('location')!, WEB_APP);
    const tokens = await finish(callback);
    expect(tokens.claims()!.email).toBe('frank@example.com');
    expect(since(recorder.requests, mark)[0]!.header('x-custom-tkn')).toEqual([own]);
  });

  it('3. the shared secret: /login/jwt reached without nginx gets access_denied (untrusted_proxy), even with a valid token', async () => {
    const token = await legacy.mint({ sub: 'mallory' });
    const direct = async (headers: Record<string, string>) => {
      const browser = new Browser();
      const { jwtEndpointUrl, finish } = await toJwtEndpoint(browser, WEB_APP, 'legacy');
      const bypass = new URL(`/login/jwt${jwtEndpointUrl.search}`, bridge.url);
      const response = await browser.request(bypass.href, { headers: { 'x-custom-tkn': token, ...headers } });
      expect(response.status).toBe(302);
      return { location: new URL(response.headers.get('location')!), finish };
    };
    const mark = logs.length;

    for (const headers of [{}, { 'x-waf-secret': 'not-the-secret-0123456789' }] as Record<string, string>[]) {
      const { location, finish } = await direct(headers);
      expect(pathOf(location.href)).toBe(WEB_APP.redirectUri);
      expect(location.searchParams.get('error')).toBe('access_denied');
      expect(location.searchParams.get('code')).toBeNull();
      await expect(finish(location)).rejects.toMatchObject({ error: 'access_denied' });
    }
    const rejections = since(logs, mark)
      .map((line) => JSON.parse(line) as { event?: string; reason?: string })
      .filter((entry) => entry.event === 'legacy.rejected');
    expect(rejections.map((entry) => entry.reason)).toEqual(['untrusted_proxy', 'untrusted_proxy']);

    // Control: the same bypass WITH the secret is accepted — the secret is what nginx adds and a client lacks.
    const accepted = await direct({ 'x-waf-secret': SECRET });
    expect(pathOf(accepted.location.href)).toBe(`${issuer}/login/jwt/callback`);
    // Neither the secret nor the token is ever logged.
    expect(logs.join('\n')).not.toContain(SECRET);
    expect(logs.join('\n')).not.toContain(token);
  });

  it('4. passes the query string to the bridge byte for byte (authRequestID plus other parameters)', async () => {
    const browser = new Browser();
    browser.setCookie(wafCookie.url, 'legacy_session', await legacy.mint({ sub: 'quinn', email: 'quinn@example.com' }));
    const { jwtEndpointUrl, finish } = await toJwtEndpoint(browser, WEB_APP, 'legacy');
    const query = `?pre=%3D%26&${jwtEndpointUrl.search.slice(1)}&next=%2Fa%2Fb%3Fc%3Dd&plus=a+b&empty=&flag&t%C3%A9st=%E2%9C%93&Case=MiXeD`;
    const sent = new URL(`${wafCookie.url}${JWT_PATH}${query}`);
    expect(sent.search).toBe(query); // nothing normalised on the client side either
    const mark = recorder.requests.length;

    const atWaf = await browser.request(sent.href);
    expect(since(recorder.requests, mark).map((r) => r.target)).toEqual([`/login/jwt${query}`]);
    const callback = await followToApp(browser, atWaf.headers.get('location')!, WEB_APP);
    const tokens = await finish(callback); // the bridge found its authRequestID among the others
    expect(tokens.claims()!.email).toBe('quinn@example.com');
  });

  it('forwards only the JWT endpoint path; everything else goes to the legacy app, without the bridge headers', async () => {
    const forged = await legacy.mint({ sub: 'mallory' });
    const markBridge = recorder.requests.length;
    const markLegacy = legacyApp.requests.length;
    const paths = [
      '/login/jwt?authRequestID=x',
      '/idps/jwt?authRequestID=x',
      '/ui/login/login/jwt/authorize?authRequestID=x',
      `${JWT_PATH}/?authRequestID=x`,
      `${JWT_PATH}/more?authRequestID=x`,
      `${JWT_PATH}er?authRequestID=x`,
      '/authorize',
      '/.well-known/openid-configuration',
      '/',
    ];
    for (const path of paths) {
      const response = await fetch(`${wafCookie.url}${path}`, {
        redirect: 'manual',
        headers: { 'x-custom-tkn': forged, 'x-waf-secret': 'client-sent-0123456789abcdef' },
      });
      expect(response.headers.get('x-served-by'), path).toBe('legacy-app');
      expect(await response.text()).toBe(`legacy app: ${path}`);
    }
    expect(since(recorder.requests, markBridge)).toEqual([]);
    const atLegacy = since(legacyApp.requests, markLegacy);
    expect(atLegacy.map((r) => r.target)).toEqual(paths);
    for (const request of atLegacy) {
      expect(request.header('x-custom-tkn')).toEqual([]);
      expect(request.header('x-waf-secret')).toEqual([]);
      expect(request.header('host')).toEqual(['127.0.0.1']); // $host: the client's Host, without the port
    }
  });
});

describe.skipIf(!HAS_AUTH_REQUEST)('deploy/nginx/waf.conf.template, mode B (auth_request session check)', () => {
  it('5. signs users in with the JWT from the legacy session check (large token in a response header)', async () => {
    const sid = randomBytes(16).toString('hex');
    legacyApp.sessions.set(sid, { sub: 'grace', email: 'grace@example.com', padding: 'y'.repeat(5_000) });
    const mark = recorder.requests.length;
    const markLegacy = legacyApp.requests.length;

    for (const client of [SPA, WEB_APP]) {
      const browser = new Browser();
      browser.setCookie(wafAuth!.url, 'legacy_sid', sid);
      const { claims, userinfo } = await signIn(browser, client, 'legacy-b');
      expect(claims).toMatchObject({ aud: client.clientId, email: 'grace@example.com' });
      expect(userinfo).toMatchObject({ email: 'grace@example.com' });
      expect(browser.hops.map((hop) => pathOf(hop.url))).toEqual([`${issuer}/authorize`, `${wafAuth!.url}${JWT_PATH}`, `${issuer}/login/jwt/callback`]);
    }
    expect(legacyApp.minted.at(-1)!.length).toBeGreaterThan(6_500); // more than nginx's default 4k proxy_buffer_size
    const seen = since(recorder.requests, mark);
    expect(seen.map((r) => r.header('x-custom-tkn'))).toEqual(legacyApp.minted.slice(-2).map((token) => [token]));
    expect(seen.map((r) => r.header('x-waf-secret'))).toEqual([[SECRET], [SECRET]]);
    const checks = since(legacyApp.requests, markLegacy);
    expect(checks.map((r) => r.target)).toEqual(['/existing/session-jwt', '/existing/session-jwt']);
    expect(checks[0]!.header('cookie')).toEqual([`legacy_sid=${sid}`]);
  });

  it('5b. no legacy session (401 from the check): the bridge gets no header and the app gets login_required; a forged header is stripped', async () => {
    const forged = await legacy.mint({ sub: 'mallory' });
    const browser = new Browser();
    browser.setCookie(wafAuth!.url, 'legacy_sid', 'unknown-session');
    const { jwtEndpointUrl, finish } = await toJwtEndpoint(browser, WEB_APP, 'legacy-b');
    expect(pathOf(jwtEndpointUrl.href)).toBe(`${wafAuth!.url}${JWT_PATH}`);
    const mark = recorder.requests.length;
    const atWaf = await browser.request(jwtEndpointUrl.href, { headers: { 'x-custom-tkn': forged } });
    expect(atWaf.status).toBe(302); // not nginx's 401 page on the WAF domain
    const callback = await followToApp(browser, atWaf.headers.get('location')!, WEB_APP);
    await expect(finish(callback)).rejects.toMatchObject({ error: 'login_required' });
    expect(since(recorder.requests, mark).map((r) => [r.header('x-custom-tkn'), r.header('x-waf-secret')])).toEqual([[[], [SECRET]]]);
  });

  it('5c. a failing session check is an error, never "logged out": nginx answers 500 and the bridge is not asked', async () => {
    const sid = randomBytes(16).toString('hex');
    legacyApp.sessions.set(sid, 'fail');
    const browser = new Browser();
    browser.setCookie(wafAuth!.url, 'legacy_sid', sid);
    const { jwtEndpointUrl } = await toJwtEndpoint(browser, WEB_APP, 'legacy-b');
    const mark = recorder.requests.length;
    const atWaf = await browser.request(jwtEndpointUrl.href);
    expect(atWaf.status).toBe(500);
    expect(since(recorder.requests, mark)).toEqual([]);
  });
});
