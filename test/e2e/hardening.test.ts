/**
 * Defects found by a security review and by new clients (issue #9), each as the behaviour that fixes it. Every test
 * here failed on the code before the fix.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUrl, completeSignIn, expectErrorPage, expectErrorResponse, logEvents, obtainCode, redeemCode, tokenRequest } from '../helpers/app-client.ts';
import { Browser } from '../helpers/browser.ts';
import { SPA, startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

describe.each(['memory', 'redis'] as const)('hardening (%s store)', (store) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ store });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a browser looped through /authorize 100 times holds one binding cookie (no cookie bomb), and still signs in', async () => {
    const browser = await stack.browser('alice');
    for (let i = 0; i < 100; i++) await browser.request((await authorizeUrl(stack, WEB_APP)).url);
    expect([...browser.cookies(stack.issuer).keys()]).toEqual(['jib']);
    const { claims } = await completeSignIn(stack, browser, WEB_APP);
    expect(claims.sub).toBeTruthy();
  });

  it('a state longer than the limit is an error, never silently dropped (RFC 6749 §4.1.2)', async () => {
    const { url } = await authorizeUrl(stack, WEB_APP, { state: 'x'.repeat(1025) });
    const location = expectErrorResponse(await new Browser().request(url), {
      error: 'invalid_request',
      state: null,
      issuer: stack.issuer,
      redirectUri: WEB_APP.redirectUri,
    });
    expect(location.searchParams.has('code')).toBe(false);
    // Before the client is verified, the same state is a page.
    const unknownClient = await authorizeUrl(stack, { ...WEB_APP, clientId: 'nobody' }, { state: 'x'.repeat(1025) });
    await expectErrorPage(await new Browser().request(unknownClient.url));
  });

  it('a state or nonce outside printable ASCII is refused, not mangled', async () => {
    const badState = await authorizeUrl(stack, WEB_APP, { state: 'tab\there' });
    expectErrorResponse(await new Browser().request(badState.url), {
      error: 'invalid_request',
      state: null,
      issuer: stack.issuer,
      redirectUri: WEB_APP.redirectUri,
    });
    const badNonce = await authorizeUrl(stack, WEB_APP, { nonce: 'ünïcode' });
    expectErrorResponse(await new Browser().request(badNonce.url), {
      error: 'invalid_request',
      state: badNonce.state,
      issuer: stack.issuer,
      redirectUri: WEB_APP.redirectUri,
    });
  });

  it("another client replaying a used code gets invalid_grant and revokes nothing; the rightful client's replay revokes", async () => {
    const { code, verifier } = await obtainCode(stack, await stack.browser('carol'), WEB_APP);
    const tokens = (await (await redeemCode(stack, WEB_APP, code, verifier)).json()) as { access_token: string };
    const userinfo = () => fetch(`${stack.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect((await userinfo()).status).toBe(200);

    // The SPA (a public client: no secret needed) saw the used code somewhere.
    const stranger = await redeemCode(stack, SPA, code, verifier);
    expect(stranger.status).toBe(400);
    expect(((await stranger.json()) as { error: string }).error).toBe('invalid_grant');
    expect((await userinfo()).status).toBe(200);
    expect(logEvents(stack, 'code.reused')).toEqual([]);

    // The client the code was issued to presenting it again is a reuse: the grant is revoked.
    expect((await redeemCode(stack, WEB_APP, code, verifier)).status).toBe(400);
    expect((await userinfo()).status).toBe(401);
  });

  it('logs the reason of a refusal visibly and never the authorization code', async () => {
    const { code } = await obtainCode(stack, await stack.browser('dave'), WEB_APP);
    const response = await redeemCode(stack, WEB_APP, code, 'A'.repeat(43));
    expect(response.status).toBe(400);
    const rejected = logEvents(stack, 'token.rejected').at(-1)!;
    expect(rejected.reason).toBe('pkce_mismatch');
    expect(stack.logs.join('\n')).not.toContain(code);
  });

  it('access tokens and ID tokens are not interchangeable: the access token audience is never the client_id', async () => {
    const { tokens, claims } = await completeSignIn(stack, await stack.browser('erin'), WEB_APP);
    const access = decodeJwt(tokens.access_token);
    expect(claims.aud).toBe(WEB_APP.clientId);
    expect(access.aud).toBe(stack.issuer);
    expect(access.aud).not.toContain(WEB_APP.clientId);
  });

  it('error_description never echoes request input and keeps to the RFC 6749 character set', async () => {
    const weird = '<script>"x"\\';
    const token = await tokenRequest(stack, { grant_type: weird, client_id: SPA.clientId });
    const tokenBody = (await token.json()) as { error: string; error_description: string };
    expect(tokenBody.error).toBe('unsupported_grant_type');
    expect(tokenBody.error_description).not.toContain('script');

    const { url } = await authorizeUrl(stack, WEB_APP);
    const repeated = `${url}&${encodeURIComponent(weird)}=1&${encodeURIComponent(weird)}=2`;
    const location = expectErrorResponse(await new Browser().request(repeated), {
      error: 'invalid_request',
      issuer: stack.issuer,
      redirectUri: WEB_APP.redirectUri,
    });
    const description = location.searchParams.get('error_description')!;
    expect(description).not.toContain('script');
    expect(description).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
  });

  it('userinfo accepts the access token in a form-encoded POST body (RFC 6750 §2.2), and logs why it refuses', async () => {
    const { tokens } = await completeSignIn(stack, await stack.browser('frank'), WEB_APP);
    const form = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${stack.issuer}/userinfo`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
    const ok = await form(`access_token=${tokens.access_token}`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { sub: string }).sub).toBe(decodeJwt(tokens.id_token!).sub);

    const both = await form(`access_token=${tokens.access_token}`, { authorization: `Bearer ${tokens.access_token}` });
    expect(both.status).toBe(400);
    const bad = await form('access_token=not-a-token');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(logEvents(stack, 'userinfo.rejected').map((e) => e.reason)).toEqual(expect.arrayContaining(['invalid_request', 'access_token_invalid']));
    expect(stack.logs.join('\n')).not.toContain(tokens.access_token);
  });
});
