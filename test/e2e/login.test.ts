import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeSignIn, signIn } from '../helpers/app-client.ts';
import { startStack, WEB_APP, SPA, type Stack } from '../helpers/stack.ts';

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
    // One binding cookie per browser, whatever the number of sign-ins; it expires with the auth-request lifetime.
    expect([...browser.cookies(stack.issuer).keys()]).toEqual(['jib']);
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
