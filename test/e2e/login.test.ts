import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, WEB_APP, SPA, type Stack } from '../helpers/stack.ts';
import type { Browser } from '../helpers/browser.ts';

/** The app side of the flow, exactly as a real relying party does it with openid-client v6. */
async function discoverApp(stack: Stack, client: { clientId: string; clientSecret?: string }) {
  return oidc.discovery(
    new URL(stack.issuer),
    client.clientId,
    client.clientSecret ? { client_secret: client.clientSecret } : { token_endpoint_auth_method: 'none' },
    client.clientSecret ? oidc.ClientSecretBasic(client.clientSecret) : oidc.None(),
    { execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks] },
  );
}

async function signIn(stack: Stack, browser: Browser, client: { clientId: string; clientSecret?: string; redirectUri: string }, extra: Record<string, string> = {}) {
  const app = await discoverApp(stack, client);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const authorizationUrl = oidc.buildAuthorizationUrl(app, {
    redirect_uri: client.redirectUri,
    scope: 'openid profile email urn:zitadel:iam:org:idp:id:legacy',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  const { stoppedAt } = await browser.follow(authorizationUrl.href, client.redirectUri);
  if (!stoppedAt) throw new Error('the flow did not return to the app');
  return { app, callback: stoppedAt, verifier, state, nonce };
}

async function completeSignIn(stack: Stack, browser: Browser, client: { clientId: string; clientSecret?: string; redirectUri: string }) {
  const { app, callback, verifier, state, nonce } = await signIn(stack, browser, client);
  const tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
  const claims = tokens.claims()!;
  const userinfo = await oidc.fetchUserInfo(app, tokens.access_token, claims.sub);
  return { tokens, claims, userinfo, callback };
}

describe.each(['memory', 'redis'] as const)('login flow end to end (%s store)', (store) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ store });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('signs a legacy user in to a confidential client with openid-client, without any prompt', async () => {
    const browser = await stack.browser('alice', { email: 'alice@example.com', email_verified: true, name: 'Alice Legacy' });
    const { claims, userinfo, callback, tokens } = await completeSignIn(stack, browser, WEB_APP);

    expect(callback.searchParams.get('iss')).toBe(stack.issuer);
    expect(claims.iss).toBe(stack.issuer);
    expect(claims.aud).toBe(WEB_APP.clientId);
    expect(claims.sub).not.toBe('alice');
    expect(claims.email).toBe('alice@example.com');
    expect(claims.name).toBe('Alice Legacy');
    expect(typeof claims.sid).toBe('string');
    expect(typeof claims.auth_time).toBe('number');
    expect(userinfo).toMatchObject({ sub: claims.sub, email: 'alice@example.com', name: 'Alice Legacy' });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    // The browser went: authorize → WAF JWT endpoint → bridge callback → app.
    expect(browser.hops.map((h) => new URL(h.url).pathname)).toEqual(['/authorize', '/login/jwt', '/login/jwt/callback']);
    // The binding cookie was cleared at the callback.
    expect([...browser.cookies(stack.issuer).keys()]).toEqual([]);
  });

  it('maps the same legacy sub to the same bridge user, and two subs to two users', async () => {
    const first = await completeSignIn(stack, await stack.browser('bob'), WEB_APP);
    const again = await completeSignIn(stack, await stack.browser('bob'), SPA);
    const other = await completeSignIn(stack, await stack.browser('carol'), WEB_APP);
    expect(again.claims.sub).toBe(first.claims.sub);
    expect(other.claims.sub).not.toBe(first.claims.sub);
  });

  it('signs in a public client (PKCE, no secret)', async () => {
    const { claims } = await completeSignIn(stack, await stack.browser('dave'), SPA);
    expect(claims.aud).toBe(SPA.clientId);
  });

  it('sends login_required to the app when the browser has no legacy session', async () => {
    const { callback } = await signIn(stack, await stack.browser(), WEB_APP);
    expect(callback.searchParams.get('error')).toBe('login_required');
    expect(callback.searchParams.get('iss')).toBe(stack.issuer);
    expect(callback.searchParams.get('state')).toBeTruthy();
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('answers prompt=none silently when the WAF has a session', async () => {
    const { callback } = await signIn(stack, await stack.browser('erin'), WEB_APP, { prompt: 'none' });
    expect(callback.searchParams.get('code')).toBeTruthy();
  });
});
