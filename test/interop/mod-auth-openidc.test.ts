/**
 * Interoperability: Apache httpd with mod_auth_openidc (Debian's libapache2-mod-auth-openidc) as a confidential
 * client of the bridge, with PKCE and the IdP scope. A private Apache (test/helpers/apache.ts) protects a page that
 * shows the claims mod_auth_openidc received; a cookie-keeping client navigates like a browser:
 *
 *   Apache /protected/ ─▶ bridge /authorize ─▶ WAF /login/jwt (legacy session) ─▶ bridge callback
 *     ─▶ Apache redirect URI (code grant at the bridge) ─▶ Apache /protected/ shows the bridge user's claims
 *
 * mod_auth_openidc (2.4.12) takes any `iss` on its redirect URI for a third-party-initiated login and looks at
 * `error` only after that, so an RFC 9207 error redirect (`error=login_required&state=…&iss=…`) starts a new login,
 * which ends in the same error, … until its state cookies run out (503). The client switch
 * `authorizationResponseIss: false` leaves `iss` out of that client's redirects; the last tests show why it exists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APACHE_BIN, apacheRedirectUri, hasApacheOpenidc, MOD_AUTH_OPENIDC, startApache, type RunningApache } from '../helpers/apache.ts';
import { navigateFollowing, type Page } from '../helpers/apache-navigation.ts';
import { Browser } from '../helpers/browser.ts';
import { generateTestKey } from '../helpers/legacy-issuer.ts';
import { freePort } from '../helpers/ports.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

/** The client with the switch: no `iss` in its authorization responses. */
const APACHE = { clientId: 'apache-app', clientSecret: 'apache-app-secret-0123456789' };
/** The same Apache setup registered with the default (`iss` in every authorization response, RFC 9207). */
const APACHE_DEFAULT = { clientId: 'apache-default', clientSecret: 'apache-default-secret-0123456789' };

const SKIPPED = hasApacheOpenidc ? '' : ` [skipped: ${APACHE_BIN} or ${MOD_AUTH_OPENIDC} not found; apt-get install apache2 libapache2-mod-auth-openidc]`;

/** `name=value` lines of the protected page. */
function shownClaims(page: Page): Record<string, string> {
  const pre = /<pre>\n([\s\S]*?)<\/pre>/.exec(page.body)?.[1] ?? '';
  return Object.fromEntries(
    pre
      .split('\n')
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe.skipIf(!hasApacheOpenidc)(`Apache mod_auth_openidc with the bridge${SKIPPED}`, () => {
  let stack: Stack;
  let apache: RunningApache;
  let apacheDefault: RunningApache;

  beforeAll(async () => {
    const [port, defaultPort] = [await freePort(), await freePort()];
    stack = await startStack({
      clients: [
        { ...APACHE, redirectUris: [apacheRedirectUri(port)], identityProviders: ['legacy'], authorizationResponseIss: false },
        { ...APACHE_DEFAULT, redirectUris: [apacheRedirectUri(defaultPort)], identityProviders: ['legacy'] },
      ],
    });
    apache = await startApache({ port, issuer: stack.issuer, ...APACHE });
    apacheDefault = await startApache({ port: defaultPort, issuer: stack.issuer, ...APACHE_DEFAULT });
  });
  afterAll(async () => {
    await apache?.stop();
    await apacheDefault?.stop();
    await stack?.close();
  });

  /** The hops of `pages` that arrived at `server`'s redirect URI, as URLs. */
  function redirectUriHits(server: RunningApache, pages: Page[]): URL[] {
    return pages.map((page) => new URL(page.url)).filter((url) => `${url.origin}${url.pathname}` === server.redirectUri);
  }

  function authorizeTrips(pages: Page[]): number {
    return pages.filter((page) => page.url.startsWith(`${stack.issuer}/authorize?`)).length;
  }

  it('signs a legacy user in: the protected page shows the claims of the bridge user', async () => {
    const browser = await stack.browser('apache-alice', { email: 'alice@example.com', email_verified: true, name: 'Alice Apache' });
    const { page, pages, looped } = await navigateFollowing(browser, apache.protectedUrl);
    const trace = pages.map((p) => `${p.status} ${p.url}`).join('\n');
    expect(looped, trace).toBe(false);
    expect(page.status, `${trace}\n${page.body}\n${apache.errorLog()}`).toBe(200);
    expect(page.url).toBe(apache.protectedUrl);

    // The front channel went through the bridge and the WAF, with PKCE and the IdP scope.
    const authorize = new URL(pages.find((p) => p.url.startsWith(`${stack.issuer}/authorize?`))!.url);
    expect(authorize.searchParams.get('client_id')).toBe(APACHE.clientId);
    expect(authorize.searchParams.get('response_type')).toBe('code');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('scope')!.split(' ')).toEqual(expect.arrayContaining(['openid', 'email', 'urn:zitadel:iam:org:idp:id:legacy']));
    expect(stack.waf.hits).toContain('/login/jwt');
    const [callback] = redirectUriHits(apache, pages);
    expect(callback!.searchParams.get('code')).toBeTruthy();
    expect(callback!.searchParams.has('iss')).toBe(false); // the switch

    const claims = shownClaims(page);
    expect(claims).toMatchObject({ email: 'alice@example.com', name: 'Alice Apache', iss: stack.issuer, aud: APACHE.clientId });
    expect(claims.sub).toMatch(/^[\w-]{8,}$/);
    expect(claims.sub).not.toBe('apache-alice'); // the bridge's own user id, not the legacy one
    expect(claims.remote_user).toBe(claims.sub);

    // mod_auth_openidc's own session now serves the page without another trip to the bridge.
    const again = await navigateFollowing(browser, apache.protectedUrl);
    expect(again.pages.map((p) => p.status)).toEqual([200]);
    expect(shownClaims(again.page).sub).toBe(claims.sub);
  });

  it('without a legacy session: mod_auth_openidc shows login_required after one trip, no loop', async () => {
    const browser = await stack.browser();
    const { page, pages, looped } = await navigateFollowing(browser, apache.protectedUrl);
    const trace = pages.map((p) => `${p.status} ${p.url}`).join('\n');
    expect(looped, trace).toBe(false);
    expect(authorizeTrips(pages), trace).toBe(1);
    const [errorRedirect] = redirectUriHits(apache, pages);
    expect(errorRedirect!.searchParams.get('error')).toBe('login_required');
    expect(errorRedirect!.searchParams.has('iss')).toBe(false);
    // mod_auth_openidc's error page (it answers 200 with it) names the provider's error.
    expect(page.url).toBe(errorRedirect!.href);
    expect(page.status).not.toBe(503);
    expect(page.body).toContain('OpenID Connect Provider error: login_required');
  });

  it('with a refused legacy session: mod_auth_openidc shows access_denied, no loop', async () => {
    const browser = new Browser();
    const stranger = await generateTestKey('ES256'); // not published by the legacy issuer
    browser.setCookie(stack.waf.url, 'legacy_session', await stack.legacy.mint({ sub: 'apache-mallory' }, { key: stranger }));
    const { page, pages, looped } = await navigateFollowing(browser, apache.protectedUrl);
    const trace = pages.map((p) => `${p.status} ${p.url}`).join('\n');
    expect(looped, trace).toBe(false);
    expect(authorizeTrips(pages), trace).toBe(1);
    expect(page.body).toContain('OpenID Connect Provider error: access_denied');
  });

  describe('why the switch exists: the same Apache with iss in the redirects (the default)', () => {
    it('a sign-in works (mod_auth_openidc only misreads iss next to an error)', async () => {
      const browser = await stack.browser('apache-bob', { email: 'bob@example.com' });
      const { page, pages } = await navigateFollowing(browser, apacheDefault.protectedUrl);
      expect(redirectUriHits(apacheDefault, pages)[0]!.searchParams.get('iss')).toBe(stack.issuer);
      expect(page.status).toBe(200);
      expect(shownClaims(page)).toMatchObject({ email: 'bob@example.com', aud: APACHE_DEFAULT.clientId });
    });

    it('login_required is never shown: each error redirect starts a new login, until mod_auth_openidc gives up', async () => {
      const browser = await stack.browser();
      const { page, pages, looped } = await navigateFollowing(browser, apacheDefault.protectedUrl, 40);
      const trace = pages.map((p) => `${p.status} ${p.url}`).join('\n');
      const errorRedirects = redirectUriHits(apacheDefault, pages);
      expect(errorRedirects.length, trace).toBeGreaterThan(1);
      for (const hit of errorRedirects) {
        expect(hit.searchParams.get('error')).toBe('login_required');
        expect(hit.searchParams.get('iss')).toBe(stack.issuer);
      }
      expect(authorizeTrips(pages), trace).toBeGreaterThan(1);
      expect(looped || page.status === 503, `${trace}\n${page.status}`).toBe(true);
      expect(page.body).not.toContain('login_required');
    });
  });
});
