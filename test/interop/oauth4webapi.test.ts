/**
 * Interoperability: the bridge with oauth4webapi v3 (panva's low-level OAuth 2 / OIDC client, also the engine of
 * openid-client v6 and Auth.js) used directly, as a public client with PKCE. Every response goes through
 * oauth4webapi's own validation (discovery issuer, RFC 9207 `iss`, state, ID token claims, nonce, auth_time,
 * userinfo `sub`), plus the optional ID token signature check against the bridge's JWKS.
 */
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../helpers/browser.ts';
import { SPA, startStack, type Stack } from '../helpers/stack.ts';

/** http is allowed only because the whole test stack is on loopback. */
const insecure = { [oauth.allowInsecureRequests]: true } as const;

const client: oauth.Client = { client_id: SPA.clientId, token_endpoint_auth_method: 'none' };

describe('oauth4webapi v3: public client with PKCE', () => {
  let stack: Stack;
  let as: oauth.AuthorizationServer;

  beforeAll(async () => {
    stack = await startStack();
    const issuer = new URL(stack.issuer);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oidc' }));
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** The front channel: build the authorization URL, let the browser follow it back to the redirect_uri. */
  async function authorize(browser: Browser, extra: Record<string, string> = {}) {
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: client.client_id,
      redirect_uri: SPA.redirectUri,
      response_type: 'code',
      scope: 'openid profile email',
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...extra,
    }).toString();
    const { stoppedAt } = await browser.follow(url.href, SPA.redirectUri);
    if (!stoppedAt) throw new Error('the flow did not return to the redirect_uri');
    return { callback: stoppedAt, codeVerifier, state, nonce };
  }

  it('reads the discovery document as an OIDC issuer', () => {
    expect(as.issuer).toBe(stack.issuer);
    expect(as.code_challenge_methods_supported).toContain('S256');
    expect(as.token_endpoint_auth_methods_supported).toContain('none');
    expect(as.authorization_response_iss_parameter_supported).toBe(true);
  });

  it('signs a legacy user in: authorization response, code grant with nonce, ID token signature, userinfo', async () => {
    const browser = await stack.browser('oauth4-alice', { email: 'alice@example.com', email_verified: true, name: 'Alice Oauth4' });
    const { callback, codeVerifier, state, nonce } = await authorize(browser);

    // Checks iss (RFC 9207, advertised in discovery) and state, and refuses error responses.
    const params = oauth.validateAuthResponse(as, client, callback, state);
    expect(params.get('code')).toBeTruthy();

    const tokenResponse = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, SPA.redirectUri, codeVerifier, insecure);
    const result = await oauth.processAuthorizationCodeResponse(as, client, tokenResponse, { expectedNonce: nonce, requireIdToken: true });
    expect(result.token_type).toBe('bearer'); // oauth4webapi normalises the token type to lower case
    expect(result.scope).toBe('openid profile email');
    // Non-repudiation: the ID token's signature verifies against the bridge's jwks_uri.
    await oauth.validateApplicationLevelSignature(as, tokenResponse, insecure);

    const claims = oauth.getValidatedIdTokenClaims(result)!;
    expect(claims).toMatchObject({ iss: stack.issuer, aud: SPA.clientId, azp: SPA.clientId, nonce, email: 'alice@example.com', name: 'Alice Oauth4' });
    expect(claims.sub).not.toBe('oauth4-alice'); // the bridge's own user id, never the legacy subject
    expect(typeof claims.auth_time).toBe('number');
    expect(typeof claims.sid).toBe('string');

    const userInfoResponse = await oauth.userInfoRequest(as, client, result.access_token, insecure);
    const userinfo = await oauth.processUserInfoResponse(as, client, claims.sub, userInfoResponse);
    expect(userinfo).toMatchObject({ sub: claims.sub, email: 'alice@example.com', email_verified: true, name: 'Alice Oauth4' });
  });

  it('honours max_age: auth_time is present and checked by the client', async () => {
    const browser = await stack.browser('oauth4-bob', { email: 'bob@example.com' });
    const { callback, codeVerifier, state, nonce } = await authorize(browser, { max_age: '300' });
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const tokenResponse = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, SPA.redirectUri, codeVerifier, insecure);
    const result = await oauth.processAuthorizationCodeResponse(as, client, tokenResponse, { expectedNonce: nonce, maxAge: 300, requireIdToken: true });
    expect(oauth.getValidatedIdTokenClaims(result)!.auth_time).toBeGreaterThan(0);
  });

  it('prompt=none with a WAF session signs in silently', async () => {
    const { callback, state } = await authorize(await stack.browser('oauth4-carol'), { prompt: 'none' });
    expect(oauth.validateAuthResponse(as, client, callback, state).get('code')).toBeTruthy();
  });

  it('surfaces login_required as an AuthorizationResponseError when there is no legacy session', async () => {
    const { callback, state } = await authorize(await stack.browser(), { prompt: 'none' });
    let caught: unknown;
    try {
      oauth.validateAuthResponse(as, client, callback, state);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(oauth.AuthorizationResponseError);
    expect((caught as oauth.AuthorizationResponseError).error).toBe('login_required');
  });

  it('rejects a wrong code_verifier at the token endpoint with invalid_grant (ResponseBodyError)', async () => {
    const { callback, state, nonce } = await authorize(await stack.browser('oauth4-dave'));
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const tokenResponse = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      params,
      SPA.redirectUri,
      oauth.generateRandomCodeVerifier(),
      insecure,
    );
    await expect(oauth.processAuthorizationCodeResponse(as, client, tokenResponse, { expectedNonce: nonce })).rejects.toMatchObject({
      name: 'ResponseBodyError',
      error: 'invalid_grant',
    });
  });
});
