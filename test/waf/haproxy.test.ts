/**
 * The shipped HAProxy configuration (deploy/haproxy/haproxy.cfg), run by a real HAProxy (Debian 2.6) in front of the
 * real bridge, with only its documented environment variables set:
 *
 *   browser ──▶ HAProxy ──▶ recorder ──▶ bridge      (the recorder logs what HAProxy really sent)
 *                  └──────▶ fake legacy app          (everything else)
 */
import { randomBytes } from 'node:crypto';
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
import { hasHaproxy, startHaproxy, type RunningHaproxy } from '../helpers/haproxy.ts';
import { startLegacyIssuer, type LegacyIssuer } from '../helpers/legacy-issuer.ts';
import { freePort } from '../helpers/ports.ts';
import { recordRequest, startRecordingProxy, type RecordedRequest, type RecordingProxy } from '../helpers/recording-proxy.ts';
import { captureLogs, legacyIdpEntry, testClients, WEB_APP } from '../helpers/stack.ts';

const JWT_PATH = '/existing/auth-new';
const SECRET = randomBytes(24).toString('hex');

let legacy: LegacyIssuer;
let legacyApp: { hostPort: string; requests: RecordedRequest[]; close(): Promise<void> };
let recorder: RecordingProxy;
let bridge: RunningServer;
let issuer: string;
let waf: RunningHaproxy;
let wafNoSecret: RunningHaproxy;
const captured = captureLogs();

async function startLegacyApp() {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    requests.push(recordRequest(req));
    res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': 'legacy-app' }).end(`legacy app: ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    hostPort: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
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

beforeAll(async () => {
  if (!hasHaproxy) return;
  legacy = await startLegacyIssuer({ alg: 'ES256' });
  legacyApp = await startLegacyApp();
  const bridgePort = await freePort();
  issuer = `http://127.0.0.1:${bridgePort}`;
  recorder = await startRecordingProxy(issuer);
  waf = await startHaproxy({ BRIDGE_UPSTREAM: recorder.hostPort, LEGACY_UPSTREAM: legacyApp.hostPort, WAF_SHARED_SECRET: SECRET });
  wafNoSecret = await startHaproxy({ BRIDGE_UPSTREAM: recorder.hostPort, LEGACY_UPSTREAM: legacyApp.hostPort });
  const idps = [
    legacyIdpEntry(legacy, `${waf.url}${JWT_PATH}`, { trustedProxy: { sharedSecretHeader: 'x-waf-secret', sharedSecret: SECRET } }),
    legacyIdpEntry(legacy, `${wafNoSecret.url}${JWT_PATH}`, { id: 'legacy-cidr', trustedProxy: { sourceCidrs: ['127.0.0.1/32'] } }),
  ];
  const config = validateConfig({
    issuer,
    server: { host: '127.0.0.1', port: bridgePort },
    store: { type: 'memory' },
    logging: { level: 'warn' },
    identityProviders: idps,
    clients: testClients(['legacy', 'legacy-cidr']),
  });
  bridge = await startNodeServer({ config, logger: createLogger(createPinoLogger, config, { destination: captured.destination }) });
});

afterAll(async () => {
  await waf?.stop();
  await wafNoSecret?.stop();
  await bridge?.close();
  await recorder?.close();
  await legacyApp?.close();
  await legacy?.close();
});

async function begin(idp = 'legacy') {
  const app = await discoverApp({ issuer }, WEB_APP);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(app, {
    redirect_uri: WEB_APP.redirectUri,
    scope: `openid email urn:zitadel:iam:org:idp:id:${idp}`,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const finish = (callback: URL) =>
    oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
  return { url, finish };
}

async function toJwtEndpoint(browser: Browser, idp = 'legacy') {
  const login = await begin(idp);
  const response = await browser.request(login.url.href);
  expect(response.status).toBe(302);
  return { ...login, jwtEndpointUrl: new URL(response.headers.get('location')!) };
}

async function followToApp(browser: Browser, url: string): Promise<URL> {
  if (url.startsWith(WEB_APP.redirectUri)) return new URL(url);
  const { stoppedAt } = await browser.follow(url, WEB_APP.redirectUri);
  if (!stoppedAt) throw new Error(`the flow did not return to the app: ${JSON.stringify(browser.hops)}`);
  return stoppedAt;
}

describe.skipIf(!hasHaproxy)('deploy/haproxy/haproxy.cfg (real HAProxy)', () => {
  it('signs a user in: cookie → x-custom-tkn, secret added, query unchanged, Location not rewritten', async () => {
    const token = await legacy.mint({ sub: 'alice', email: 'alice@example.com' });
    const browser = new Browser();
    browser.setCookie(waf.url, 'legacy_session', token);
    const { jwtEndpointUrl, finish } = await toJwtEndpoint(browser);
    expect(`${jwtEndpointUrl.origin}${jwtEndpointUrl.pathname}`).toBe(`${waf.url}${JWT_PATH}`);
    const query = `?pre=%3D%26&${jwtEndpointUrl.search.slice(1)}&plus=a+b&empty=&flag&t%C3%A9st=%E2%9C%93`;
    const mark = recorder.requests.length;

    const atWaf = await browser.request(`${waf.url}${JWT_PATH}${query}`);
    expect(atWaf.status).toBe(302);
    expect(atWaf.headers.get('location')).toMatch(
      new RegExp(`^${issuer.replace(/[.]/g, '\\.')}/login/jwt/callback\\?authRequestID=[0-9A-Za-z]+&completion=[0-9a-f]{64}$`),
    );
    const seen = recorder.requests.slice(mark);
    expect(seen.map((r) => r.target)).toEqual([`/login/jwt${query}`]);
    expect(seen[0]!.header('x-custom-tkn')).toEqual([token]);
    expect(seen[0]!.header('x-waf-secret')).toEqual([SECRET]);
    expect(seen[0]!.header('cookie')).toEqual([]);
    const tokens = await finish(await followToApp(browser, atWaf.headers.get('location')!));
    expect(tokens.claims()!.email).toBe('alice@example.com');
  });

  it('without WAF_SHARED_SECRET it sends no secret header (and the login works with a source-CIDR trustedProxy)', async () => {
    const browser = new Browser();
    browser.setCookie(wafNoSecret.url, 'legacy_session', await legacy.mint({ sub: 'carol', email: 'carol@example.com' }));
    const { jwtEndpointUrl, finish } = await toJwtEndpoint(browser, 'legacy-cidr');
    const mark = recorder.requests.length;
    const atWaf = await browser.request(jwtEndpointUrl.href, { headers: { 'x-waf-secret': 'client-sent-0123456789' } });
    expect(recorder.requests.slice(mark).map((r) => r.header('x-waf-secret'))).toEqual([[]]);
    const tokens = await finish(await followToApp(browser, atWaf.headers.get('location')!));
    expect(tokens.claims()!.email).toBe('carol@example.com');
  });

  it('header smuggling fails: client-sent x-custom-tkn (any case, duplicated) is removed; with a session only its token is sent', async () => {
    const forged = await legacy.mint({ sub: 'mallory', email: 'mallory@example.com' });
    // No session: several copies in other letter cases and a cookie that is not one JWS → login_required.
    const first = await toJwtEndpoint(new Browser());
    const mark = recorder.requests.length;
    const raw = await rawGet(first.jwtEndpointUrl.href, [
      ['x-custom-tkn', forged],
      ['X-Custom-Tkn', forged],
      ['X-CUSTOM-TKN', `Bearer ${forged}`],
      ['X-Waf-Secret', SECRET.replace(/./, 'z')],
      ['Cookie', 'legacy_session=not-a-jwt, x.y.z'],
    ]);
    expect(raw.status).toBe(302);
    expect(new URL(raw.location!).searchParams.get('error')).toBe('login_required');
    expect(recorder.requests.slice(mark).map((r) => [r.header('x-custom-tkn'), r.header('x-waf-secret')])).toEqual([[[], [SECRET]]]);

    // With a session: the session's token, exactly once, whatever the client sent.
    const own = await legacy.mint({ sub: 'frank', email: 'frank@example.com' });
    const browser = new Browser();
    browser.setCookie(waf.url, 'legacy_session', own);
    const second = await toJwtEndpoint(browser);
    const mark2 = recorder.requests.length;
    const smuggled = await rawGet(second.jwtEndpointUrl.href, [
      ['X-Custom-Tkn', forged],
      ['x-custom-tkn', forged],
      ['Cookie', `legacy_session=${own}`],
    ]);
    expect(recorder.requests.slice(mark2).map((r) => r.header('x-custom-tkn'))).toEqual([[own]]);
    const tokens = await second.finish(await followToApp(browser, smuggled.location!));
    expect(tokens.claims()!.email).toBe('frank@example.com');
  });

  it('forwards only the exact JWT endpoint path; everything else goes to the legacy app without the bridge headers', async () => {
    const forged = await legacy.mint({ sub: 'mallory' });
    const markBridge = recorder.requests.length;
    const markLegacy = legacyApp.requests.length;
    const paths = [
      '/login/jwt?authRequestID=x',
      '/idps/jwt?authRequestID=x',
      `${JWT_PATH}/?authRequestID=x`,
      `${JWT_PATH}er?authRequestID=x`,
      '/authorize',
      '/',
    ];
    for (const path of paths) {
      const response = await fetch(`${waf.url}${path}`, { redirect: 'manual', headers: { 'x-custom-tkn': forged, 'x-waf-secret': SECRET } });
      expect(response.headers.get('x-served-by'), path).toBe('legacy-app');
    }
    expect(recorder.requests.slice(markBridge)).toEqual([]);
    for (const request of legacyApp.requests.slice(markLegacy)) {
      expect(request.header('x-custom-tkn')).toEqual([]);
      expect(request.header('x-waf-secret')).toEqual([]);
    }
  });

  it('carries a large legacy token (header room)', async () => {
    const token = await legacy.mint({ sub: 'bob', email: 'bob@example.com', padding: 'x'.repeat(5_000) });
    expect(token.length).toBeGreaterThan(6_500);
    const browser = new Browser();
    browser.setCookie(waf.url, 'legacy_prefs', 'p'.repeat(2_000));
    browser.setCookie(waf.url, 'legacy_session', token);
    const { jwtEndpointUrl, finish } = await toJwtEndpoint(browser);
    const mark = recorder.requests.length;
    const atWaf = await browser.request(jwtEndpointUrl.href);
    expect(recorder.requests.slice(mark)[0]!.header('x-custom-tkn')).toEqual([token]);
    const tokens = await finish(await followToApp(browser, atWaf.headers.get('location')!));
    expect(tokens.claims()!.email).toBe('bob@example.com');
  });
});
