/**
 * Log hygiene (DESIGN §8, STYLE "secrets never reach a log line"): a whole sign-in at debug level, plus refused
 * attempts carrying secrets, leaves no legacy JWT, code, completion value, binding cookie, token or client secret in
 * the bridge's log, and every line written while serving a request carries its request id.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, discoverApp, IDP_SCOPE, redeemCode, runFlow, userinfoRequest } from '../helpers/app-client.ts';
import { Browser } from '../helpers/browser.ts';
import { startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

/** Lines written at startup, before any request exists. */
const STARTUP_EVENTS = new Set(['server.started', 'keys.generated']);

/**
 * Events written during a request by components built once at startup (the legacy key source, the user directory):
 * they log with the request's logger, so they carry its requestId like every other request line (DESIGN §8).
 */
const SHARED_COMPONENT_EVENTS = ['legacy.keys_fetched', 'user.registered'];

describe.each(['memory', 'redis'] as const)('log redaction (%s store)', (store) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ store, logLevel: 'debug' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a debug-level sign-in and refused attempts log no secret, and every request line has a requestId', async () => {
    const secrets: Record<string, string> = {
      clientSecret: WEB_APP.clientSecret,
      basicCredentials: basicAuth(WEB_APP.clientId, WEB_APP.clientSecret).slice(6),
    };

    // The happy path, step by step so that every secret can be captured.
    const legacyJwt = await stack.legacy.mint({ sub: 'alice', email: 'alice@example.com', name: 'Alice' });
    secrets.legacyJwt = legacyJwt;
    secrets.legacyJwtSignature = legacyJwt.split('.')[2]!;
    const browser = new Browser();
    browser.setCookie(stack.waf.url, 'legacy_session', legacyJwt);
    const app = await discoverApp(stack, WEB_APP);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const authorizationUrl = oidc.buildAuthorizationUrl(app, {
      redirect_uri: WEB_APP.redirectUri,
      scope: `openid profile email ${IDP_SCOPE}`,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const first = await browser.request(authorizationUrl.href);
    const [binding] = [...browser.cookies(stack.issuer).values()];
    expect(binding).toBeTruthy();
    secrets.bindingCookie = binding!;
    const { stoppedAt } = await browser.follow(first.headers.get('location')!, WEB_APP.redirectUri);
    const callbackHop = browser.hops.find((hop) => hop.url.startsWith(`${stack.issuer}/login/jwt/callback`))!;
    secrets.completion = new URL(callbackHop.url).searchParams.get('completion')!;
    secrets.code = stoppedAt!.searchParams.get('code')!;
    secrets.codeVerifier = verifier;
    const tokens = await oidc.authorizationCodeGrant(app, stoppedAt!, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    secrets.accessToken = tokens.access_token;
    secrets.idToken = tokens.id_token!;
    await oidc.fetchUserInfo(app, tokens.access_token, tokens.claims()!.sub);

    // Refused attempts carry secrets too: a rejected legacy JWT, a reused code, a wrong client secret, a bad bearer.
    const rejectedJwt = await stack.legacy.mint({ sub: 'alice', iss: 'http://127.0.0.1:1/evil' });
    secrets.rejectedJwt = rejectedJwt;
    const refusedBrowser = new Browser();
    refusedBrowser.setCookie(stack.waf.url, 'legacy_session', rejectedJwt);
    expect((await runFlow(stack, refusedBrowser, WEB_APP)).callback?.searchParams.get('error')).toBe('access_denied');
    expect((await redeemCode(stack, WEB_APP, secrets.code, verifier)).status).toBe(400);
    const wrongSecret = 'wrong-secret-do-not-log-0123456789';
    secrets.wrongSecret = wrongSecret;
    expect((await redeemCode(stack, { ...WEB_APP, clientSecret: wrongSecret }, secrets.code, verifier)).status).toBe(401);
    expect((await userinfoRequest(stack, `${tokens.access_token}x`)).status).toBe(401);

    for (const value of Object.values(secrets)) expect(value.length).toBeGreaterThanOrEqual(16);
    const text = stack.logs.join('\n');
    const leaked = Object.entries(secrets)
      .filter(([, value]) => text.includes(value))
      .map(([name]) => name);
    expect(leaked).toEqual([]);

    const entries = stack.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    // The debug level was really on (the per-request line), so the check above covered debug output too.
    expect(entries.some((entry) => entry.event === 'http.request')).toBe(true);
    const withoutRequestId = entries.filter((entry) => !STARTUP_EVENTS.has(String(entry.event)) && typeof entry.requestId !== 'string');
    expect(withoutRequestId.map((entry) => entry.event)).toEqual([]);
    for (const event of SHARED_COMPONENT_EVENTS) {
      expect(entries.filter((entry) => entry.event === event).length, event).toBeGreaterThan(0);
    }
  });
});
