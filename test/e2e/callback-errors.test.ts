/**
 * Bad input at /login/jwt/callback (DESIGN §1 step 6): the browser must hold BOTH the binding cookie set at /authorize
 * AND the one-time completion value. Any mismatch deletes the auth request (access_denied to the app), so a later
 * correct attempt fails too; an unknown, used or expired auth request is a 400 page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.ts';
import { authorizeUrl, expectErrorPage, expectErrorResponse, logEvents, redeemCode } from '../helpers/app-client.ts';
import { authRequestIdOf } from '../../src/oidc/flow/auth-requests.ts';
import { Browser } from '../helpers/browser.ts';
import { startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

describe.each(['memory', 'redis'] as const)('/login/jwt/callback (%s store)', (store) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ store });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const callbackPrefix = () => `${stack.issuer}/login/jwt/callback`;

  /** A browser that went /authorize → WAF → and stopped just before the bridge's callback. */
  async function atCallback(sub = 'alice') {
    const browser = await stack.browser(sub);
    const { url, state, verifier } = await authorizeUrl(stack, WEB_APP);
    const { stoppedAt } = await browser.follow(url, callbackPrefix());
    if (!stoppedAt) throw new Error('the flow did not reach the callback');
    const sealed = stoppedAt.searchParams.get('authRequestID')!;
    const id = authRequestIdOf(sealed)!;
    const cookieName = 'jib';
    const cookie = browser.cookies(stack.issuer).get(cookieName)!;
    expect(cookie).toBeTruthy();
    return { browser, callback: stoppedAt, id, sealed, completion: stoppedAt.searchParams.get('completion')!, state, verifier, cookieName, cookie };
  }

  const withParam = (url: URL, name: string, value: string | null): string => {
    const next = new URL(url);
    if (value === null) next.searchParams.delete(name);
    else next.searchParams.set(name, value);
    return next.href;
  };

  /** After a refused attempt: the rightful browser with the right cookie and completion gets the 400 page, no code. */
  async function expectDeleted(flow: Awaited<ReturnType<typeof atCallback>>): Promise<void> {
    flow.browser.setCookie(stack.issuer, flow.cookieName, flow.cookie); // the refused attempt cleared it; put it back
    await expectErrorPage(await flow.browser.request(flow.callback.href));
  }

  const bindingFailures = (id: string) => logEvents(stack, 'login.binding_failed').filter((e) => e.authRequestId === id);

  it('sets one binding cookie per browser, HttpOnly, SameSite=Lax, Path=/, reused by the next sign-in', async () => {
    const { url } = await authorizeUrl(stack, WEB_APP);
    const browser = new Browser();
    const response = await browser.request(url);
    const [cookie, ...others] = response.headers.getSetCookie();
    expect(others).toEqual([]);
    expect(cookie).toMatch(/^jib=[0-9a-f]{64};/);
    // A second sign-in in the same browser renews the same cookie instead of adding one (issue #9: no cookie bomb).
    const again = await browser.request((await authorizeUrl(stack, WEB_APP)).url);
    expect(again.headers.getSetCookie()).toEqual([expect.stringMatching(new RegExp(`^${cookie!.split(';')[0]};`))]);
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).toMatch(/; Path=\//i);
  });

  it.each([
    ['unknown authRequestID', (flow: { callback: URL }) => withParam(flow.callback, 'authRequestID', 'B'.repeat(43))],
    ['missing authRequestID', (flow: { callback: URL }) => withParam(flow.callback, 'authRequestID', null)],
    ['malformed authRequestID', (flow: { callback: URL }) => withParam(flow.callback, 'authRequestID', '<script>')],
    ['repeated authRequestID', (flow: { callback: URL; sealed: string }) => `${flow.callback.href}&authRequestID=${flow.sealed}`],
    ['tampered authRequestID', (flow: { callback: URL; sealed: string }) => withParam(flow.callback, 'authRequestID', `${flow.sealed.slice(0, -3)}AAA`)],
  ])('%s → 400 page; the real auth request is untouched and completes', async (_name, mutate) => {
    const flow = await atCallback();
    await expectErrorPage(await flow.browser.request(mutate(flow)));
    flow.browser.setCookie(stack.issuer, flow.cookieName, flow.cookie);
    const { stoppedAt } = await flow.browser.follow(flow.callback.href, WEB_APP.redirectUri);
    expect(stoppedAt?.searchParams.get('code')).toBeTruthy();
  });

  it('missing binding cookie (another browser) → access_denied; the auth request is deleted', async () => {
    const flow = await atCallback();
    const response = await new Browser().request(flow.callback.href);
    expectErrorResponse(response, { error: 'access_denied', state: flow.state, issuer: stack.issuer, redirectUri: WEB_APP.redirectUri });
    expect(bindingFailures(flow.id).map((e) => e.detail)).toEqual(['binding cookie missing']);
    await expectDeleted(flow);
  });

  it('wrong binding cookie value → access_denied; the auth request is deleted', async () => {
    const flow = await atCallback();
    const other = new Browser();
    other.setCookie(stack.issuer, flow.cookieName, 'C'.repeat(43));
    expectErrorResponse(await other.request(flow.callback.href), {
      error: 'access_denied',
      state: flow.state,
      issuer: stack.issuer,
      redirectUri: WEB_APP.redirectUri,
    });
    expect(bindingFailures(flow.id).map((e) => e.detail)).toEqual(['binding cookie does not match']);
    await expectDeleted(flow);
  });

  it.each([
    ['wrong completion', 'D'.repeat(43), 'completion value does not match'],
    ['missing completion', null, 'completion value missing'],
  ])('%s with the right cookie → access_denied; the auth request is deleted', async (_name, completion, detail) => {
    const flow = await atCallback();
    const response = await flow.browser.request(withParam(flow.callback, 'completion', completion));
    expectErrorResponse(response, { error: 'access_denied', state: flow.state, issuer: stack.issuer, redirectUri: WEB_APP.redirectUri });
    expect(bindingFailures(flow.id).map((e) => e.detail)).toEqual([detail]);
    await expectDeleted(flow);
  });

  it('repeated completion → access_denied; the auth request is deleted', async () => {
    const flow = await atCallback();
    const response = await flow.browser.request(`${flow.callback.href}&completion=${flow.completion}`);
    expectErrorResponse(response, { error: 'access_denied', state: flow.state, issuer: stack.issuer, redirectUri: WEB_APP.redirectUri });
    await expectDeleted(flow);
  });

  it('completion replayed after success → 400 page, no second code; the first code still works', async () => {
    const flow = await atCallback();
    const { stoppedAt } = await flow.browser.follow(flow.callback.href, WEB_APP.redirectUri);
    const code = stoppedAt?.searchParams.get('code');
    expect(code).toBeTruthy();
    await expectDeleted(flow);
    expect((await redeemCode(stack, WEB_APP, code!, flow.verifier)).status).toBe(200);
  });

  it('callback before the JWT endpoint (auth request still pending) → access_denied, and nothing is written', async () => {
    const browser = await stack.browser('alice');
    const { url, state } = await authorizeUrl(stack, WEB_APP);
    const jwtUrl = (await browser.request(url)).headers.get('location')!;
    const sealed = new URL(jwtUrl).searchParams.get('authRequestID')!;
    expect(browser.cookies(stack.issuer).has('jib')).toBe(true);

    const response = await browser.request(`${callbackPrefix()}?authRequestID=${sealed}&completion=${'E'.repeat(43)}`);
    expectErrorResponse(response, { error: 'access_denied', state, issuer: stack.issuer, redirectUri: WEB_APP.redirectUri });
    expect(bindingFailures(authRequestIdOf(sealed)!).map((e) => e.detail)).toEqual(['the identity provider step has not completed']);
    // Unauthenticated requests write nothing, so the request itself is intact: its own browser can still complete it
    // (a session-swap attacker cannot: see session-swap.test.ts).
    const { stoppedAt } = await browser.follow(jwtUrl, WEB_APP.redirectUri);
    expect(stoppedAt?.searchParams.get('code')).toBeTruthy();
  });
});

describe.each(['memory', 'redis'] as const)('auth request expiry (%s store, manual clock)', (store) => {
  // The bridge checks creation times against its own (here: manual) clock, whatever the store's TTL timer does.
  const clock = createManualClock();
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ store, clock });
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** /authorize in a fresh browser; returns the JWT endpoint URL it was sent to. */
  async function authorize() {
    const browser = new Browser();
    const { url } = await authorizeUrl(stack, WEB_APP);
    const jwtUrl = (await browser.request(url)).headers.get('location')!;
    return { browser, jwtUrl };
  }
  /** The legacy session is minted now (by the stack's clock), so it is valid whatever time has passed. */
  const freshSession = async (browser: Browser) => browser.setCookie(stack.waf.url, 'legacy_session', await stack.legacy.mint({ sub: 'alice' }));

  it('expired before the JWT endpoint (10 min) → 400 page', async () => {
    const { browser, jwtUrl } = await authorize();
    clock.advance(601_000);
    await freshSession(browser);
    await expectErrorPage(await browser.request(jwtUrl));
  });

  it('expired between the JWT endpoint and the callback → 400 page, no code', async () => {
    const { browser, jwtUrl } = await authorize();
    await freshSession(browser);
    const { stoppedAt } = await browser.follow(jwtUrl, `${stack.issuer}/login/jwt/callback`);
    expect(stoppedAt?.searchParams.get('completion')).toBeTruthy();
    clock.advance(601_000);
    await expectErrorPage(await browser.request(stoppedAt!.href));
  });

  it('completed just within its lifetime → code (control)', async () => {
    const { browser, jwtUrl } = await authorize();
    clock.advance(590_000);
    await freshSession(browser);
    const { stoppedAt } = await browser.follow(jwtUrl, WEB_APP.redirectUri);
    expect(stoppedAt?.searchParams.get('code')).toBeTruthy();
  });
});
