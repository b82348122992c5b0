import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import * as oidc from 'openid-client';

interface Session {
  pending?: { verifier: string; state: string; nonce: string };
  claims?: Record<string, unknown>;
  /** Kept for RP-initiated logout (id_token_hint). */
  idToken?: string;
  /** The `state` of a sign-out in progress. */
  logoutState?: string;
  error?: { error: string; description: string };
}

const EXPLANATIONS: Record<string, string> = {
  login_required: 'You are not signed in to the legacy app, so there was no session for the bridge to turn into a sign-in.',
  access_denied: 'The bridge refused the legacy session (see the bridge log for the exact reason).',
  temporarily_unavailable: 'The bridge could not verify the legacy session right now.',
};

/** The demo's new application: a plain OIDC relying party built with openid-client. */
export function createNewApp(options: { publicUrl: string; issuer: string; clientId: string; clientSecret: string; legacyUrl: string }) {
  const sessions = new Map<string, Session>();
  const redirectUri = `${options.publicUrl}/callback`;
  let configuration: Promise<oidc.Configuration> | undefined;
  const discover = () =>
    (configuration ??= oidc
      .discovery(new URL(options.issuer), options.clientId, options.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] })
      .catch((error) => {
        configuration = undefined;
        throw error;
      }));

  let bridgeKeys: JWTVerifyGetKey | undefined;
  const keys = async () => (bridgeKeys ??= createRemoteJWKSet(new URL(String((await discover()).serverMetadata().jwks_uri))));

  const sessionOf = (c: Context) => {
    let id = getCookie(c, 'newapp_session');
    if (!id || !sessions.has(id)) {
      id = crypto.randomUUID();
      sessions.set(id, {});
      setCookie(c, 'newapp_session', id, { path: '/', httpOnly: true, sameSite: 'Lax' });
    }
    return sessions.get(id)!;
  };

  const page = (body: unknown) => html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>New App</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem}header{background:#1b5e9e;color:#fff;padding:.5rem 1rem;border-radius:6px}a.button{display:inline-block;background:#1b5e9e;color:#fff;padding:.5rem 1rem;border-radius:4px;text-decoration:none}td{padding:.2rem .6rem;border-bottom:1px solid #ddd;font-family:monospace}</style>
</head><body><header>New App (OpenID Connect via jwt-idp-bridge)</header>${body}</body></html>`;

  const app = new Hono();
  app.get('/', (c) => {
    const session = sessionOf(c);
    if (session.claims) {
      const rows = Object.entries(session.claims).map(([k, v]) => html`<tr><td>${k}</td><td>${JSON.stringify(v)}</td></tr>`);
      return c.html(
        page(html`<h1 id="signed-in">Signed in as ${String(session.claims.name ?? session.claims.sub)}</h1>
<p>No password prompt: the bridge turned your legacy session into an OpenID Connect sign-in. ID token claims:</p><table>${rows}</table>
<p><a class="button" id="sign-out" href="/logout">Sign out</a> (of the new app and the legacy app)</p>`),
      );
    }
    const error = session.error;
    return c.html(
      page(html`${
        error
          ? html`<h1 id="not-signed-in">Not signed in</h1><p><b>${error.error}</b>: ${EXPLANATIONS[error.error] ?? error.description}</p>
<p><a href="${options.legacyUrl}">Sign in to the legacy app</a>, then come back.</p>`
          : html`<h1>Welcome</h1>`
      }
<p><a class="button" id="sign-in" href="/login">Sign in with SSO</a></p>`),
    );
  });
  app.get('/login', async (c) => {
    const session = sessionOf(c);
    const config = await discover();
    const pending = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
    session.pending = pending;
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email urn:zitadel:iam:org:idp:id:legacy',
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return c.redirect(url.href, 302);
  });
  app.get('/callback', async (c) => {
    const session = sessionOf(c);
    const pending = session.pending;
    delete session.pending;
    const url = new URL(c.req.url);
    if (!pending) return c.redirect('/', 302);
    try {
      const tokens = await oidc.authorizationCodeGrant(await discover(), new URL(`${redirectUri}${url.search}`), {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      session.claims = tokens.claims() as Record<string, unknown>;
      if (tokens.id_token) session.idToken = tokens.id_token;
      delete session.error;
    } catch (error) {
      const e = error as { error?: string; error_description?: string; message: string };
      session.error = { error: e.error ?? 'error', description: e.error_description ?? e.message };
    }
    return c.redirect('/', 302);
  });
  // RP-initiated logout: the bridge ends its session, tells us over the back channel, hands the browser to the legacy
  // app's logout, and comes back to /signed-out with our state.
  app.get('/logout', async (c) => {
    const session = sessionOf(c);
    const idToken = session.idToken;
    delete session.claims;
    delete session.idToken;
    delete session.error;
    if (!idToken) return c.redirect('/', 302);
    session.logoutState = oidc.randomState();
    const url = oidc.buildEndSessionUrl(await discover(), {
      id_token_hint: idToken,
      post_logout_redirect_uri: `${options.publicUrl}/signed-out`,
      state: session.logoutState,
    });
    return c.redirect(url.href, 302);
  });
  app.get('/signed-out', (c) => {
    const session = sessionOf(c);
    const expected = session.logoutState;
    delete session.logoutState;
    if (!expected || c.req.query('state') !== expected) return c.redirect('/', 302);
    return c.html(
      page(html`<h1 id="signed-out">Signed out</h1>
<p>You are signed out of the new app, and the bridge signed you out of the legacy app too: the next sign-in asks for your legacy credentials again.</p>
<p><a class="button" id="sign-in" href="/login">Sign in with SSO</a></p>`),
    );
  });
  // Back-Channel Logout 1.0: the bridge POSTs a logout token; every local session of its `sid` ends.
  app.post('/backchannel-logout', async (c) => {
    try {
      const form = await c.req.parseBody();
      const { payload } = await jwtVerify(String(form.logout_token ?? ''), await keys(), {
        issuer: options.issuer,
        audience: options.clientId,
        typ: 'logout+jwt',
        requiredClaims: ['sid', 'events', 'jti'],
      });
      for (const session of sessions.values()) {
        if (session.claims?.sid === payload.sid) {
          delete session.claims;
          delete session.idToken;
        }
      }
      return c.body(null, 200, { 'Cache-Control': 'no-store' });
    } catch {
      return c.json({ error: 'invalid_request' }, 400, { 'Cache-Control': 'no-store' });
    }
  });
  return app;
}
