/**
 * The session-swap attack (DESIGN §1): an attacker starts a sign-in in their own browser and gets a victim to finish
 * the JWT-endpoint step with the victim's legacy session. The browser binding (cookie from /authorize AND the
 * one-time completion value) must leave nobody with a code — neither the victim's browser nor the attacker's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUrl, expectErrorPage, expectErrorRedirect, expectErrorResponse, logEvents } from '../helpers/app-client.ts';
import { authRequestIdOf } from '../../src/oidc/flow/auth-requests.ts';
import type { Browser } from '../helpers/browser.ts';
import { startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

/** No hop of any browser carried a code anywhere (URL or Location). */
function expectNoCode(...browsers: Browser[]): void {
  for (const browser of browsers) {
    for (const hop of browser.hops) {
      expect(new URL(hop.url).searchParams.has('code'), hop.url).toBe(false);
      if (hop.location) expect(new URL(hop.location, hop.url).searchParams.has('code'), hop.location).toBe(false);
    }
  }
}

describe.each(['memory', 'redis'] as const)('session swap (%s store)', (store) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ store });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const callbackPrefix = () => `${stack.issuer}/login/jwt/callback`;

  /** Mallory starts a sign-in in her browser: she holds the binding cookie and the WAF URL to lure the victim to. */
  async function attackerStarts() {
    const attacker = await stack.browser('mallory');
    const { url, state } = await authorizeUrl(stack, WEB_APP);
    const response = await attacker.request(url);
    expect(response.status).toBe(302);
    const wafUrl = response.headers.get('location')!;
    expect(wafUrl.startsWith(`${stack.waf.url}/login/jwt?authRequestID=`)).toBe(true);
    const sealed = new URL(wafUrl).searchParams.get('authRequestID')!;
    expect(attacker.cookies(stack.issuer).has('jib')).toBe(true);
    return { attacker, wafUrl, sealed, id: authRequestIdOf(sealed)!, state };
  }

  const succeeded = (id: string) => logEvents(stack, 'login.succeeded').filter((e) => e.authRequestId === id);

  it("the victim finishing the attacker's request gets access_denied; the attacker's replay of the victim's callback URL gets nothing", async () => {
    const { attacker, wafUrl, id, state } = await attackerStarts();
    const victim = await stack.browser('victim');

    // The victim opens the lured URL: the WAF adds the victim's session, the bridge accepts it and sends the
    // victim's browser to the callback with the completion value — where the binding cookie is missing.
    const { stoppedAt } = await victim.follow(wafUrl, WEB_APP.redirectUri);
    expectErrorRedirect(stoppedAt, { error: 'access_denied', state, issuer: stack.issuer, redirectUri: WEB_APP.redirectUri });
    const seenByVictim = victim.hops.find((hop) => hop.url.startsWith(callbackPrefix()))!;
    expect(seenByVictim).toBeDefined();
    expect(new URL(seenByVictim.url).searchParams.get('completion')).toBeTruthy();

    // Mallory somehow learns the callback URL (with the completion value) and replays it with her cookie: too late.
    await expectErrorPage(await attacker.request(seenByVictim.url));

    expect(
      logEvents(stack, 'login.binding_failed')
        .filter((e) => e.authRequestId === id)
        .map((e) => e.detail),
    ).toEqual(['binding cookie missing']);
    expect(succeeded(id)).toEqual([]);
    expectNoCode(attacker, victim);
  });

  it('race: the attacker hits the callback (cookie, no completion) before the victim → nobody gets a code', async () => {
    const { attacker, wafUrl, id, sealed, state } = await attackerStarts();
    const victim = await stack.browser('victim');

    // The victim's browser has been through the JWT endpoint and is about to follow the redirect to the callback.
    const atWaf = await victim.request(wafUrl);
    expect(atWaf.status).toBe(302);
    const victimCallback = atWaf.headers.get('location')!;
    expect(victimCallback.startsWith(`${callbackPrefix()}?`)).toBe(true);

    // Mallory, holding the cookie but not the completion value, is faster: the auth request is deleted.
    for (const completion of [undefined, 'G'.repeat(43)]) {
      const query = `authRequestID=${sealed}${completion ? `&completion=${completion}` : ''}`;
      const response = await attacker.request(`${callbackPrefix()}?${query}`);
      if (completion === undefined) expectErrorResponse(response, { error: 'access_denied', state, issuer: stack.issuer, redirectUri: WEB_APP.redirectUri });
      else await expectErrorPage(response); // already deleted by the first attempt
    }

    // The victim arrives: the auth request is gone.
    await expectErrorPage(await victim.request(victimCallback));
    expect(succeeded(id)).toEqual([]);
    expectNoCode(attacker, victim);
  });

  it('race: the attacker hits the callback even before the victim reaches the JWT endpoint → nobody gets a code', async () => {
    const { attacker, wafUrl, id, sealed, state } = await attackerStarts();
    const response = await attacker.request(`${callbackPrefix()}?authRequestID=${sealed}&completion=${'H'.repeat(43)}`);
    expectErrorResponse(response, { error: 'access_denied', state, issuer: stack.issuer, redirectUri: WEB_APP.redirectUri });

    // The victim then finishes the lured request: the binding still fails in the victim's browser.
    const victim = await stack.browser('victim');
    const { stoppedAt } = await victim.follow(wafUrl, WEB_APP.redirectUri);
    expectErrorRedirect(stoppedAt, { error: 'access_denied', state, issuer: stack.issuer, redirectUri: WEB_APP.redirectUri });
    expect(succeeded(id)).toEqual([]);
    expectNoCode(attacker, victim);
  });
});
