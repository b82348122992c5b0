/**
 * Interoperability in a real browser: oidc-client-ts v3 in headless Chromium as a single-page app with a public
 * client (PKCE, no secret). A tiny loopback server serves the page and the library's browser bundle; the page
 * talks to the bridge's discovery, token and userinfo endpoints cross-origin (the bridge answers CORS with `*`),
 * and the front channel goes bridge → WAF (legacy session cookie) → bridge → the page's /callback.
 *
 * The SPA is served as http://localhost:<port> and the bridge is http://127.0.0.1:<port>: another origin and even
 * another site, as an app on app.example.org signing in through accounts.example.com would be.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { Browser as Chromium, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium } from '../helpers/chromium.ts';
import { freePort } from '../helpers/ports.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const BROWSER_SPA_ID = 'browser-spa';

interface PageResult {
  profile?: Record<string, unknown>;
  userinfo?: Record<string, unknown>;
  storedUser?: { sub: unknown; email: unknown };
  error?: string;
}

/**
 * The SPA: one page for `/` (buttons), `/callback` (completes a redirect sign-in) and `/silent` (the hidden iframe of
 * signinSilent). Results are printed as JSON into #result. Redirect URIs follow the page's own origin, so the same
 * page works as http://localhost:<port> and as http://127.0.0.1:<port>.
 */
function spaPage(settings: { authority: string; clientId: string }): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SPA</title>
<script src="/oidc-client-ts.min.js"></script></head>
<body><h1>SPA</h1>
<button id="sign-in" type="button">Sign in</button> <button id="sign-in-silent" type="button">Sign in silently</button>
<pre id="result"></pre>
<script>
const settings = ${JSON.stringify(settings)};
const manager = new oidc.UserManager({
  authority: settings.authority,
  client_id: settings.clientId,
  redirect_uri: location.origin + '/callback',
  silent_redirect_uri: location.origin + '/silent',
  response_type: 'code',
  scope: 'openid profile email',
  loadUserInfo: true,
  userStore: new oidc.WebStorageStateStore({ store: window.sessionStorage }),
});
const show = (value) => { document.getElementById('result').textContent = JSON.stringify(value); };
const fail = (e) => show({ error: e.error ?? String(e) });
async function report(user) {
  // Also call userinfo straight from the page (cross-origin, bearer token) to prove the endpoint's CORS.
  const endpoint = await manager.metadataService.getUserInfoEndpoint();
  const response = await fetch(endpoint, { headers: { Authorization: 'Bearer ' + user.access_token } });
  const stored = await manager.getUser();
  show({ profile: user.profile, userinfo: await response.json(), storedUser: { sub: stored.profile.sub, email: stored.profile.email } });
}
document.getElementById('sign-in').addEventListener('click', () => manager.signinRedirect().catch(fail));
document.getElementById('sign-in-silent').addEventListener('click', () => manager.signinSilent().then(report).catch(fail));
if (location.pathname === '/callback') manager.signinRedirectCallback().then(report).catch(fail);
if (location.pathname === '/silent') manager.signinSilentCallback().catch(fail);
</script></body></html>`;
}

async function startSpaServer(port: number, page: string): Promise<Server> {
  // The browser bundle is not in the package's "exports": read it from the installed package directly.
  const bundle = await readFile(new URL('../../node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js', import.meta.url));
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/oidc-client-ts.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    } else if (path === '/' || path === '/callback' || path === '/silent') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe.skipIf(!hasChromium)('oidc-client-ts v3 in headless Chromium (SPA, public client)', () => {
  let stack: Stack;
  let chromium: Chromium;
  let spa: Server;
  /** Another site than the bridge (http://127.0.0.1:…): like app.example.org signing in at accounts.example.com. */
  let crossSite: string;
  /** The same site as the bridge and the WAF (ports do not count): like app.example.com with accounts.example.com. */
  let sameSite: string;

  beforeAll(async () => {
    const port = await freePort();
    crossSite = `http://localhost:${port}`;
    sameSite = `http://127.0.0.1:${port}`;
    const redirectUris = [crossSite, sameSite].flatMap((origin) => [`${origin}/callback`, `${origin}/silent`]);
    stack = await startStack({ clients: [{ clientId: BROWSER_SPA_ID, redirectUris, identityProviders: ['legacy'] }] });
    spa = await startSpaServer(port, spaPage({ authority: stack.issuer, clientId: BROWSER_SPA_ID }));
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await new Promise<void>((resolve) => (spa ? spa.close(() => resolve()) : resolve()));
    await stack?.close();
  });

  /** A fresh browser profile, with the WAF's legacy session cookie (SameSite=Lax) when `sub` is given. */
  async function newContext(sub?: string, claims: Record<string, unknown> = {}): Promise<BrowserContext> {
    const context = await chromium.newContext();
    if (sub !== undefined) {
      await context.addCookies([
        { name: 'legacy_session', value: await stack.legacy.mint({ sub, ...claims }), url: stack.waf.url, httpOnly: true, sameSite: 'Lax' },
      ]);
    }
    return context;
  }

  async function readResult(page: Page): Promise<PageResult> {
    await page.waitForSelector('#result:not(:empty)');
    return JSON.parse((await page.textContent('#result'))!) as PageResult;
  }

  async function signIn(page: Page, origin: string): Promise<PageResult> {
    await page.goto(`${origin}/`);
    await page.click('#sign-in');
    await page.waitForURL(`${origin}/callback?**`);
    return readResult(page);
  }

  async function signInSilently(page: Page, origin: string): Promise<PageResult> {
    await page.goto(`${origin}/`);
    await page.click('#sign-in-silent');
    return readResult(page);
  }

  it('signs a legacy user in with signinRedirect/signinRedirectCallback; profile and userinfo in the page', async () => {
    const context = await newContext('spa-alice', { email: 'alice@example.com', email_verified: true, name: 'Alice SPA' });
    try {
      const page = await context.newPage();
      const crossOrigin: string[] = [];
      page.on('response', (response) => {
        const url = new URL(response.url());
        if (url.origin === stack.issuer && response.request().resourceType() === 'fetch')
          crossOrigin.push(`${response.request().method()} ${url.pathname} ${response.status()}`);
      });
      const result = await signIn(page, crossSite);

      expect(result.error).toBeUndefined();
      expect(result.profile).toMatchObject({ iss: stack.issuer, aud: BROWSER_SPA_ID, email: 'alice@example.com', email_verified: true, name: 'Alice SPA' });
      const sub = result.profile!.sub;
      expect(typeof sub).toBe('string');
      expect(sub).not.toBe('spa-alice');
      expect(result.userinfo).toMatchObject({ sub, email: 'alice@example.com', name: 'Alice SPA' });
      expect(result.storedUser).toEqual({ sub, email: 'alice@example.com' });
      // The SPA called the bridge's back-channel endpoints from the browser, cross-origin, successfully.
      expect(crossOrigin).toEqual(expect.arrayContaining(['GET /.well-known/openid-configuration 200', 'POST /token 200', 'GET /userinfo 200']));
      // The binding cookie was cleared at the bridge's callback.
      expect((await context.cookies(stack.issuer)).filter((c) => c.name.startsWith('jib-'))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('without a legacy session, signinRedirectCallback rejects with login_required', async () => {
    const context = await newContext();
    try {
      const result = await signIn(await context.newPage(), crossSite);
      expect(result.error).toBe('login_required');
      expect(result.profile).toBeUndefined();
    } finally {
      await context.close();
    }
  });

  it('signinSilent (prompt=none in a hidden iframe) works when the SPA is on the same site as the bridge and the WAF', async () => {
    const context = await newContext('spa-bob', { email: 'bob@example.com' });
    try {
      const result = await signInSilently(await context.newPage(), sameSite);
      expect(result.error).toBeUndefined();
      expect(result.profile).toMatchObject({ iss: stack.issuer, aud: BROWSER_SPA_ID, email: 'bob@example.com' });
      expect(result.userinfo).toMatchObject({ sub: result.profile!.sub, email: 'bob@example.com' });
    } finally {
      await context.close();
    }
  });

  it('signinSilent from another site gets login_required: the browser keeps SameSite=Lax cookies out of cross-site iframes', async () => {
    const context = await newContext('spa-carol');
    try {
      const result = await signInSilently(await context.newPage(), crossSite);
      expect(result.error).toBe('login_required');
    } finally {
      await context.close();
    }
  });
});
