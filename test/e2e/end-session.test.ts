/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at /end_session, against the real server with memory
 * and a real Redis: openid-client's `buildEndSessionUrl` signs the user out (the grant of the hint's `sid` is revoked
 * at userinfo), a registered post_logout_redirect_uri gets `state` back, an unregistered one is never redirected to,
 * an expired hint still identifies the session, and the legacy app's logoutUrl is visited first when configured.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.ts';
import { completeSignIn, discoverApp, expectErrorPage, logEvents, userinfoRequest, type AppClient } from '../helpers/app-client.ts';
import { openRedisStore, startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

const SIGNED_OUT_URI = 'http://localhost:7006/signed-out';
const LOGOUT_APP: AppClient & { clientSecret: string } = {
  clientId: 'logout-app',
  clientSecret: 'logout-app-secret-0123456789',
  redirectUri: 'http://localhost:7006/callback',
};
const LOGOUT_CLIENT = { ...LOGOUT_APP, redirectUris: [LOGOUT_APP.redirectUri], postLogoutRedirectUris: [SIGNED_OUT_URI], identityProviders: ['legacy'] };
const LEGACY_LOGOUT = 'http://127.0.0.1:9/legacy/logout';

function clientEntry() {
  const { redirectUri: _unused, ...entry } = LOGOUT_CLIENT;
  return entry;
}

const get = (url: string | URL) => fetch(url, { redirect: 'manual' });

async function expectSignedOutPage(response: Response): Promise<void> {
  const body = await response.text();
  expect(response.status, body.slice(0, 200)).toBe(200);
  expect(response.headers.get('location')).toBeNull();
  expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(body).toContain('Signed out');
}

describe.each(['memory', 'redis'] as const)('/end_session (%s store)', (store) => {
  let stack: Stack;
  const clock = createManualClock();
  beforeAll(async () => {
    stack = await startStack({ store, clock, clients: [clientEntry()], tokens: { idTokenTtlSeconds: 60, accessTokenTtlSeconds: 600 } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function signedIn() {
    const { tokens } = await completeSignIn(stack, await stack.browser('alice'), LOGOUT_APP);
    expect((await userinfoRequest(stack, tokens.access_token)).status).toBe(200);
    return { app: await discoverApp(stack, LOGOUT_APP), idToken: tokens.id_token!, accessToken: tokens.access_token };
  }

  it('advertises end_session_endpoint', async () => {
    const app = await discoverApp(stack, LOGOUT_APP);
    expect(app.serverMetadata().end_session_endpoint).toBe(`${stack.issuer}/end_session`);
  });

  it('signs out with buildEndSessionUrl: revokes the grant and returns to the registered URI with state', async () => {
    const { app, idToken, accessToken } = await signedIn();
    const url = oidc.buildEndSessionUrl(app, { id_token_hint: idToken, post_logout_redirect_uri: SIGNED_OUT_URI, state: 'st-123' });
    const response = await get(url);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(SIGNED_OUT_URI);
    expect(location.searchParams.get('state')).toBe('st-123');
    const userinfo = await userinfoRequest(stack, accessToken);
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get('www-authenticate')).toContain('invalid_token');
    expect(logEvents(stack, 'logout').at(-1)).toMatchObject({ clientId: LOGOUT_APP.clientId, revoked: true });
  });

  it('never redirects to an unregistered post_logout_redirect_uri (a plain page), but still signs out', async () => {
    const { app, idToken, accessToken } = await signedIn();
    const response = await get(oidc.buildEndSessionUrl(app, { id_token_hint: idToken, post_logout_redirect_uri: 'https://evil.example/', state: 's' }));
    await expectSignedOutPage(response);
    expect((await userinfoRequest(stack, accessToken)).status).toBe(401);
  });

  it("refuses a redirect URI registered for another client than the hint's (no redirect)", async () => {
    const response = await get(`${stack.issuer}/end_session?${new URLSearchParams({ client_id: WEB_APP.clientId, post_logout_redirect_uri: SIGNED_OUT_URI })}`);
    await expectSignedOutPage(response);
  });

  it('without a redirect URI shows the signed-out page; POST works too', async () => {
    const { idToken, accessToken } = await signedIn();
    const response = await fetch(`${stack.issuer}/end_session`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ id_token_hint: idToken, ui_locales: 'de' }).toString(),
    });
    await expectSignedOutPage(response);
    expect((await userinfoRequest(stack, accessToken)).status).toBe(401);
  });

  it('accepts an expired ID token of this issuer as the hint and revokes its (still live) grant', async () => {
    const { app, idToken, accessToken } = await signedIn();
    clock.advance(120_000); // past the ID token's 60 s, within the access token's 600 s
    expect((await userinfoRequest(stack, accessToken)).status).toBe(200);
    const response = await get(oidc.buildEndSessionUrl(app, { id_token_hint: idToken, post_logout_redirect_uri: SIGNED_OUT_URI }));
    expect(response.status).toBe(302);
    expect(new URL(response.headers.get('location')!).searchParams.has('state')).toBe(false);
    expect((await userinfoRequest(stack, accessToken)).status).toBe(401);
    expect(logEvents(stack, 'logout').at(-1)).toMatchObject({ revoked: true });
  });

  it.each([
    ['a garbage hint', () => 'not-a-jwt'],
    ['a hint with a broken signature', (token: string) => `${token.slice(0, -4)}AAAA`],
  ])('refuses %s with a page, never a redirect', async (_name, mangle) => {
    const { idToken } = await signedIn();
    const response = await get(
      `${stack.issuer}/end_session?${new URLSearchParams({ id_token_hint: mangle(idToken), post_logout_redirect_uri: SIGNED_OUT_URI })}`,
    );
    await expectErrorPage(response);
  });

  it("refuses an access token as the hint, and a client_id that is not the hint's audience", async () => {
    const { idToken, accessToken } = await signedIn();
    await expectErrorPage(await get(`${stack.issuer}/end_session?${new URLSearchParams({ id_token_hint: accessToken })}`));
    await expectErrorPage(await get(`${stack.issuer}/end_session?${new URLSearchParams({ id_token_hint: idToken, client_id: WEB_APP.clientId })}`));
    expect((await userinfoRequest(stack, accessToken)).status).toBe(200);
  });

  it('refuses an unknown client_id with a page', async () => {
    await expectErrorPage(await get(`${stack.issuer}/end_session?client_id=nobody&post_logout_redirect_uri=${encodeURIComponent(SIGNED_OUT_URI)}`));
  });
});

describe("/end_session with the legacy app's logoutUrl", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ idp: { logoutUrl: LEGACY_LOGOUT }, clients: [clientEntry()] });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('revokes first, hands the browser to the legacy logout, and finishes at the registered URI', async () => {
    const { tokens } = await completeSignIn(stack, await stack.browser('alice'), LOGOUT_APP);
    const app = await discoverApp(stack, LOGOUT_APP);
    const response = await get(oidc.buildEndSessionUrl(app, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT_URI, state: 'st-9' }));
    expect(response.status).toBe(302);
    const legacy = new URL(response.headers.get('location')!);
    expect(`${legacy.origin}${legacy.pathname}`).toBe(LEGACY_LOGOUT);
    expect((await userinfoRequest(stack, tokens.access_token)).status).toBe(401);
    const returnTo = legacy.searchParams.get('return_to')!;
    expect(returnTo.startsWith(`${stack.issuer}/end_session/done?`)).toBe(true);

    const back = await get(returnTo);
    expect(back.status).toBe(302);
    const final = new URL(back.headers.get('location')!);
    expect(`${final.origin}${final.pathname}`).toBe(SIGNED_OUT_URI);
    expect(final.searchParams.get('state')).toBe('st-9');
    // The hand-off is sealed, not stored (a sign-out request writes nothing): a forged or altered one is just the page.
    await expectSignedOutPage(await get(`${stack.issuer}/end_session/done?logout=forged-value-0123456789`));
    const sealed = new URL(returnTo).searchParams.get('logout')!;
    await expectSignedOutPage(await get(`${stack.issuer}/end_session/done?logout=${sealed.slice(0, -4)}AAAA`));
  });
});

describe('/end_session stores nothing for unauthenticated requests (redis store)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ store: 'redis', idp: { logoutUrl: LEGACY_LOGOUT }, clients: [clientEntry()] });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('200 sign-out requests without a hint, each handed to the legacy logout, write no key', async () => {
    const redis = openRedisStore(stack.keyPrefix);
    try {
      await fetch(`${stack.issuer}/end_session?client_id=${LOGOUT_APP.clientId}`, { redirect: 'manual' }); // sealing keys
      const before = (await redis.store.list('')).length;
      for (let i = 0; i < 200; i++) {
        const response = await fetch(
          `${stack.issuer}/end_session?client_id=${LOGOUT_APP.clientId}&post_logout_redirect_uri=${encodeURIComponent(SIGNED_OUT_URI)}&state=s${i}`,
          {
            redirect: 'manual',
          },
        );
        expect(response.status).toBe(302);
      }
      expect((await redis.store.list('')).length).toBe(before);
    } finally {
      await redis.close();
    }
  });
});
