import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify, SignJWT, createLocalJWKSet, type JWK } from 'jose';

export const SESSION_COOKIE = 'legacy_session';
const SESSION_SECONDS = 600;

/**
 * The demo's legacy application: sign in with any username; the session is a short-lived JWT in a cookie,
 * re-issued on every page view (as a WAF would hold it). Serves its Keys Endpoint at /keys.
 */
export async function createLegacyApp(options: { issuer: string; publicUrl: string; newAppUrl: string; jwtEndpoint: string; bridgeUrl: string }) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const jwks = { keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] };
  const keySet = createLocalJWKSet(jwks);

  const issue = (username: string, authTime: number) =>
    new SignJWT({
      preferred_username: username,
      name: username.replace(/^./, (c) => c.toUpperCase()),
      email: `${username}@legacy.example`,
      email_verified: true,
      auth_time: authTime,
      amr: ['pwd'],
    })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setIssuer(options.issuer)
      .setSubject(`legacy-${username}`)
      .setIssuedAt()
      .setExpirationTime(`${SESSION_SECONDS}s`)
      .sign(privateKey);

  const page = (title: string, body: unknown) => html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}header{background:#7a4b00;color:#fff;padding:.5rem 1rem;border-radius:6px}a.button,button{display:inline-block;background:#7a4b00;color:#fff;border:0;padding:.5rem 1rem;border-radius:4px;text-decoration:none;font-size:1rem}</style>
</head><body><header>Legacy App (behind the WAF)</header>${body}</body></html>`;

  /** Only our own JWT endpoint may be a return address: no open redirect. */
  const safeReturn = (value: string | undefined) => (value?.startsWith(`${options.jwtEndpoint}?`) ? value : undefined);

  const app = new Hono();
  app.get('/keys', (c) => c.json(jwks));
  app.get('/', async (c) => {
    const session = getCookie(c, SESSION_COOKIE);
    const claims = session
      ? await jwtVerify(session, keySet, { issuer: options.issuer }).then(
          (r) => r.payload,
          () => undefined,
        )
      : undefined;
    if (!claims) {
      return c.html(
        page(
          'Legacy App',
          html`<h1>Sign in to the legacy app</h1>
<form method="post" action="/login"><label>Username <input name="username" value="alice" required autofocus></label> <button type="submit">Sign in</button></form>
<p>Or open <a href="${options.newAppUrl}">the new app</a> without signing in, to see what happens without a legacy session.</p>`,
        ),
      );
    }
    // Refresh the session JWT, as a legacy session would be kept alive.
    setCookie(c, SESSION_COOKIE, await issue(String(claims.preferred_username), Number(claims.auth_time)), {
      path: '/',
      httpOnly: true,
      sameSite: 'Lax',
      maxAge: SESSION_SECONDS,
    });
    return c.html(
      page(
        'Legacy App',
        html`<h1>Hello, ${String(claims.name)}</h1>
<p>You are signed in to the legacy app as <b>${String(claims.preferred_username)}</b>.</p>
<p><a class="button" id="open-new-app" href="${options.newAppUrl}/login">Open the new app</a></p>
<form method="post" action="/logout"><button type="submit">Sign out of the legacy app</button></form>`,
      ),
    );
  });
  app.get('/login', (c) => {
    const returnTo = safeReturn(c.req.query('return_to'));
    return c.html(
      page(
        'Legacy sign-in',
        html`<h1>Sign in to the legacy app</h1>
<form method="post" action="/login"><input type="hidden" name="return_to" value="${returnTo ?? ''}"><label>Username <input name="username" value="alice" required autofocus></label> <button type="submit">Sign in</button></form>`,
      ),
    );
  });
  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const username =
      String(form.username ?? '')
        .trim()
        .toLowerCase()
        .replace(/[^a-z0-9._-]/g, '')
        .slice(0, 64) || 'alice';
    setCookie(c, SESSION_COOKIE, await issue(username, Math.floor(Date.now() / 1000)), { path: '/', httpOnly: true, sameSite: 'Lax', maxAge: SESSION_SECONDS });
    return c.redirect(safeReturn(String(form.return_to ?? '')) ?? '/', 303);
  });
  app.post('/logout', (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.redirect('/', 303);
  });
  // The bridge's `logoutUrl` hand-off: end the legacy session, then return to the bridge's /end_session/done only
  // (no open redirect). A real legacy app would protect a state-changing GET; the demo keeps it one click.
  app.get('/logout', (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    const returnTo = c.req.query('return_to');
    return c.redirect(returnTo?.startsWith(`${options.bridgeUrl}/end_session/done?`) ? returnTo : '/', 303);
  });
  return { app, jwksUrl: `${options.publicUrl}/keys` };
}
