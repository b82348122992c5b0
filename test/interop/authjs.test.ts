/**
 * Interoperability: the bridge as a generic OIDC provider of Auth.js (`@auth/core`), a confidential client with PKCE,
 * state and nonce. Auth.js runs in-process: its routes are called with `Auth(new Request(url), config)` under a
 * made-up origin (nothing listens there), its cookies are kept in the test Browser's jar for that origin, and the
 * Browser carries the front channel through the bridge and the WAF back to Auth.js's callback URL.
 *
 * Auth.js talks to the issuer with oauth4webapi and passes `allowInsecureRequests` itself, so a plain-http loopback
 * issuer works as is (no TLS proxy needed).
 */
import { Auth, type AuthConfig } from '@auth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../helpers/browser.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

/** The Auth.js app's origin: only a name (Auth.js is called in-process), so no port is opened. */
const APP = 'http://localhost:7003';
const PROVIDER_ID = 'bridge';
const CALLBACK = `${APP}/auth/callback/${PROVIDER_ID}`;
const AUTHJS_APP = { clientId: 'authjs-app', clientSecret: 'authjs-app-secret-0123456789' };

/** Calls an in-process handler as the Browser would: its cookies for the URL's origin in, Set-Cookie back into the jar. */
async function callApp(browser: Browser, handler: (request: Request) => Promise<Response>, url: string, init: RequestInit = {}): Promise<Response> {
  const { origin } = new URL(url);
  const headers = new Headers(init.headers);
  const cookie = [...browser.cookies(origin)].map(([name, value]) => `${name}=${value}`).join('; ');
  if (cookie) headers.set('cookie', cookie);
  const response = await handler(new Request(url, { ...init, headers }));
  for (const line of response.headers.getSetCookie()) {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((a) => /^\s*max-age=(0|-\d+)\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
    if (expired || value === '') browser.cookies(origin).delete(name);
    else browser.setCookie(origin, name, value);
  }
  browser.hops.push({ url, status: response.status, ...(response.headers.get('location') && { location: response.headers.get('location')! }) });
  return response;
}

describe('Auth.js (@auth/core) with the bridge as a generic OIDC provider', () => {
  let stack: Stack;
  let config: AuthConfig;
  const logged: { level: string; message: string }[] = [];
  const auth = (request: Request) => Auth(request, config);

  beforeAll(async () => {
    stack = await startStack({ clients: [{ ...AUTHJS_APP, redirectUris: [CALLBACK], identityProviders: ['legacy'] }] });
    config = {
      basePath: '/auth',
      trustHost: true,
      secret: 'authjs-test-secret-0123456789abcdefghijklmnopqrstuvwxyz',
      providers: [
        {
          id: PROVIDER_ID,
          name: 'Legacy SSO',
          type: 'oidc',
          issuer: stack.issuer,
          clientId: AUTHJS_APP.clientId,
          clientSecret: AUTHJS_APP.clientSecret,
          checks: ['pkce', 'state', 'nonce'],
          authorization: { params: { scope: 'openid profile email' } },
        },
      ],
      logger: {
        error: (error) =>
          void logged.push({ level: 'error', message: `${error.name}: ${error.message} ${String((error as { cause?: unknown }).cause ?? '')}` }),
        warn: (code) => void logged.push({ level: 'warn', message: code }),
        debug: () => {},
      },
    };
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** CSRF token, then POST /auth/signin/bridge: Auth.js answers with the redirect to the bridge and its check cookies. */
  async function startSignIn(browser: Browser): Promise<URL> {
    const csrf = await callApp(browser, auth, `${APP}/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const signIn = await callApp(browser, auth, `${APP}/auth/signin/${PROVIDER_ID}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrfToken, callbackUrl: `${APP}/dashboard` }),
    });
    expect(signIn.status).toBe(302);
    return new URL(signIn.headers.get('location')!);
  }

  it('signs a legacy user in: Auth.js session with the name and email from the bridge', async () => {
    const browser = await stack.browser('authjs-alice', { email: 'Alice@Example.com', email_verified: true, name: 'Alice AuthJS' });
    const authorize = await startSignIn(browser);
    expect(authorize.origin + authorize.pathname).toBe(`${stack.issuer}/authorize`);
    expect(authorize.searchParams.get('client_id')).toBe(AUTHJS_APP.clientId);
    expect(authorize.searchParams.get('redirect_uri')).toBe(CALLBACK);
    expect(authorize.searchParams.get('scope')).toBe('openid profile email'); // no IdP scope: the client's default IdP
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();

    const { stoppedAt } = await browser.follow(authorize.href, CALLBACK);
    expect(stoppedAt?.searchParams.get('code')).toBeTruthy();
    expect(stoppedAt?.searchParams.get('iss')).toBe(stack.issuer);

    // Auth.js's callback: code grant (client_secret_basic + PKCE verifier), ID token checks incl. nonce, session cookie.
    const callback = await callApp(browser, auth, stoppedAt!.href);
    expect(logged.filter((l) => l.level === 'error')).toEqual([]);
    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toBe(`${APP}/dashboard`);
    expect([...browser.cookies(APP).keys()]).toContain('authjs.session-token');

    const session = await callApp(browser, auth, `${APP}/auth/session`);
    expect(session.status).toBe(200);
    const body = (await session.json()) as { user?: { name?: string; email?: string }; expires?: string };
    expect(body.user).toMatchObject({ name: 'Alice AuthJS', email: 'alice@example.com' }); // Auth.js lower-cases email
    expect(typeof body.expires).toBe('string');
  });

  it('without a legacy session: no Auth.js session, Auth.js reports the provider error', async () => {
    const browser = await stack.browser();
    const authorize = await startSignIn(browser);
    const { stoppedAt } = await browser.follow(authorize.href, CALLBACK);
    expect(stoppedAt?.searchParams.get('error')).toBe('login_required');

    const callback = await callApp(browser, auth, stoppedAt!.href);
    expect(callback.status).toBe(302);
    const location = new URL(callback.headers.get('location')!);
    expect(location.origin).toBe(APP);
    expect(location.searchParams.get('error')).toBe('OAuthCallbackError');
    expect([...browser.cookies(APP).keys()]).not.toContain('authjs.session-token');
    const session = await callApp(browser, auth, `${APP}/auth/session`);
    expect(await session.json()).toBeNull();
  });
});
