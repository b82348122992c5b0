/**
 * Bad input at /authorize (OIDC Core §3.1.2, RFC 6749 §4.1.2.1, DESIGN §1/§10), against the real server.
 * Before the client and its exact redirect_uri are verified: a plain 400 page, no redirect, no cookie.
 * After: a 302 to the redirect_uri with error, state and iss; no binding cookie and no auth request stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUrl, encodeParams, expectErrorPage, expectErrorResponse, IDP_SCOPE, type ParamValue } from '../helpers/app-client.ts';
import { Browser } from '../helpers/browser.ts';
import { APP_CALLBACK, openRedisStore, SPA, startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

const STRICT_APP = { clientId: 'strict-app', clientSecret: 'strict-app-secret-0123456789', redirectUri: 'http://localhost:7004/callback' };

/** [case, client, parameter overrides] — each must end in a page before any redirect. */
const PAGE_CASES: [string, typeof WEB_APP | typeof SPA, Record<string, ParamValue>][] = [
  ['redirect_uri with a trailing slash', WEB_APP, { redirect_uri: `${APP_CALLBACK}/` }],
  ['redirect_uri with a different case in the host', WEB_APP, { redirect_uri: 'http://LOCALHOST:7001/callback' }],
  ['redirect_uri with a different case in the path', WEB_APP, { redirect_uri: 'http://localhost:7001/Callback' }],
  ['redirect_uri with an extra query', WEB_APP, { redirect_uri: `${APP_CALLBACK}?next=/admin` }],
  ['redirect_uri with a fragment', WEB_APP, { redirect_uri: `${APP_CALLBACK}#frag` }],
  ['redirect_uri with a userinfo part', WEB_APP, { redirect_uri: 'http://user@localhost:7001/callback' }],
  ['redirect_uri on a different port', WEB_APP, { redirect_uri: 'http://localhost:7003/callback' }],
  ['redirect_uri registered for another client', WEB_APP, { redirect_uri: SPA.redirectUri }],
  ['missing redirect_uri', WEB_APP, { redirect_uri: undefined }],
  ['unknown client_id', WEB_APP, { client_id: 'no-such-app' }],
  ['missing client_id', WEB_APP, { client_id: undefined }],
  ['duplicate client_id', WEB_APP, { client_id: [WEB_APP.clientId, WEB_APP.clientId] }],
  ['duplicate redirect_uri', WEB_APP, { redirect_uri: [WEB_APP.redirectUri, WEB_APP.redirectUri] }],
];

/** [case, client, overrides, expected error, whether `state` can be echoed]. */
const REDIRECT_CASES: [string, typeof WEB_APP | typeof SPA | typeof STRICT_APP, Record<string, ParamValue>, string, boolean?][] = [
  ['response_type=token', WEB_APP, { response_type: 'token' }, 'unsupported_response_type'],
  ['response_type=code id_token (hybrid)', WEB_APP, { response_type: 'code id_token' }, 'unsupported_response_type'],
  ['response_type missing', WEB_APP, { response_type: undefined }, 'invalid_request'],
  ['scope without openid', WEB_APP, { scope: `profile email ${IDP_SCOPE}` }, 'invalid_scope'],
  ['scope missing', WEB_APP, { scope: undefined }, 'invalid_scope'],
  ['code_challenge_method=plain', WEB_APP, { code_challenge_method: 'plain' }, 'invalid_request'],
  ['code_challenge without code_challenge_method', WEB_APP, { code_challenge_method: undefined }, 'invalid_request'],
  ['code_challenge_method without code_challenge', WEB_APP, { code_challenge: undefined }, 'invalid_request'],
  ['malformed code_challenge', WEB_APP, { code_challenge: 'too-short+/=' }, 'invalid_request'],
  ['public client without PKCE', SPA, { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
  ['confidential client with requirePkce without PKCE', STRICT_APP, { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
  ['IdP scope for an IdP the client may not use', WEB_APP, { scope: 'openid urn:zitadel:iam:org:idp:id:other' }, 'invalid_request'],
  ['IdP scope for an unknown IdP', WEB_APP, { scope: 'openid urn:zitadel:iam:org:idp:id:nope' }, 'invalid_request'],
  ['two IdP scopes', WEB_APP, { scope: `openid ${IDP_SCOPE} urn:zitadel:iam:org:idp:id:other` }, 'invalid_request'],
  ['duplicate scope parameter', WEB_APP, { scope: ['openid', 'openid email'] }, 'invalid_request'],
  ['duplicate state parameter (cannot be echoed)', WEB_APP, { state: ['s1', 's2'] }, 'invalid_request', false],
  ['duplicate nonce parameter', WEB_APP, { nonce: ['n1', 'n2'] }, 'invalid_request'],
  ['duplicate response_type parameter', WEB_APP, { response_type: ['code', 'code'] }, 'invalid_request'],
  ['prompt=none login', WEB_APP, { prompt: 'none login' }, 'invalid_request'],
  ['prompt=login (the legacy app cannot be made to re-authenticate)', WEB_APP, { prompt: 'login' }, 'login_required'],
  ['unknown prompt value', WEB_APP, { prompt: 'sometimes' }, 'invalid_request'],
  ['negative max_age', WEB_APP, { max_age: '-1' }, 'invalid_request'],
  ['non-numeric max_age', WEB_APP, { max_age: '1h' }, 'invalid_request'],
  ['request object', WEB_APP, { request: 'eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9.' }, 'request_not_supported'],
  ['request_uri', WEB_APP, { request_uri: 'urn:ietf:params:oauth:request_uri:abc' }, 'request_uri_not_supported'],
  ['response_mode=fragment', WEB_APP, { response_mode: 'fragment' }, 'invalid_request'],
  ['response_mode=form_post', WEB_APP, { response_mode: 'form_post' }, 'invalid_request'],
];

describe.each(['memory', 'redis'] as const)('/authorize rejects bad requests (%s store)', (store) => {
  let stack: Stack;
  let redis: ReturnType<typeof openRedisStore> | undefined;

  beforeAll(async () => {
    stack = await startStack({
      store,
      clients: [
        {
          clientId: STRICT_APP.clientId,
          clientSecret: STRICT_APP.clientSecret,
          redirectUris: [STRICT_APP.redirectUri],
          identityProviders: ['legacy'],
          requirePkce: true,
        },
      ],
      extraIdps: [
        {
          id: 'other',
          issuer: 'http://other-issuer.invalid',
          keysEndpoint: 'http://127.0.0.1:9/keys',
          jwtEndpoint: 'http://127.0.0.1:9/other/jwt',
          allowAnyAudience: true,
          trustedProxy: 'none',
        },
      ],
    });
    if (store === 'redis') redis = openRedisStore(stack.keyPrefix);
  });
  afterAll(async () => {
    await redis?.close();
    await stack?.close();
  });

  /** Auth requests stored so far (redis: counted in the store; memory: not observable, so 0). */
  const storedAuthRequests = async () => (redis ? (await redis.store.list('ar:')).length : 0);

  it.each(PAGE_CASES)('%s → 400 page, no redirect, no cookie', async (_name, client, overrides) => {
    const before = await storedAuthRequests();
    const { url } = await authorizeUrl(stack, client, overrides);
    const browser = new Browser();
    await expectErrorPage(await browser.request(url));
    expect(browser.cookies(stack.issuer).size).toBe(0);
    expect(await storedAuthRequests()).toBe(before);
  });

  it('POST /authorize with a JSON body → 400 page (a form is required)', async () => {
    const before = await storedAuthRequests();
    const { params } = await authorizeUrl(stack, WEB_APP);
    const response = await fetch(`${stack.issuer}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params),
      redirect: 'manual',
    });
    await expectErrorPage(response);
    expect(await storedAuthRequests()).toBe(before);
  });

  it('POST /authorize with the same parameters as a form is accepted (control for the JSON case)', async () => {
    const before = await storedAuthRequests();
    const { params } = await authorizeUrl(stack, WEB_APP);
    const response = await fetch(`${stack.issuer}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: encodeParams(params),
      redirect: 'manual',
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toMatch(new RegExp(`^${stack.waf.url}/login/jwt\\?authRequestID=`));
    expect(response.headers.getSetCookie()).toHaveLength(1);
    // The pending request travels sealed in the authRequestID: nothing is stored before a legacy login (issue #9).
    expect(await storedAuthRequests()).toBe(before);
  });

  it.each(REDIRECT_CASES)('%s → error redirect with state and iss', async (_name, client, overrides, error, echoesState = true) => {
    const before = await storedAuthRequests();
    const { url, state } = await authorizeUrl(stack, client, overrides);
    const response = await new Browser().request(url);
    const location = expectErrorResponse(response, { error, state: echoesState ? state : null, issuer: stack.issuer, redirectUri: client.redirectUri });
    expect(location.searchParams.get('error_description')).toBeTruthy();
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await storedAuthRequests()).toBe(before);
  });
});
