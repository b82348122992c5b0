/**
 * The app side of the login flow, for end-to-end tests: openid-client v6 exactly as a real relying party uses it
 * (`discoverApp`, `signIn`, `completeSignIn`), plus raw protocol helpers for feeding the bridge bad input and checking
 * what came back (`authorizeUrl`, `obtainCode`, `tokenRequest`, `expectErrorPage`, `expectErrorRedirect`, …).
 */
import * as oidc from 'openid-client';
import { expect } from 'vitest';
import type { Browser } from './browser.ts';
import type { Stack } from './stack.ts';

export interface AppClient {
  clientId: string;
  clientSecret?: string;
  redirectUri: string;
}

export const IDP_SCOPE = 'urn:zitadel:iam:org:idp:id:legacy';

/** Any running bridge: a Stack, or a bridge started another way (real nginx in front, a Worker on wrangler dev). */
export type BridgeUnderTest = Pick<Stack, 'issuer'>;

/** openid-client discovery for `client` against the bridge (http loopback, ID token checks on). */
export async function discoverApp(stack: BridgeUnderTest, client: Pick<AppClient, 'clientId' | 'clientSecret'>) {
  return oidc.discovery(
    new URL(stack.issuer),
    client.clientId,
    client.clientSecret ? { client_secret: client.clientSecret } : { token_endpoint_auth_method: 'none' },
    client.clientSecret ? oidc.ClientSecretBasic(client.clientSecret) : oidc.None(),
    { execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks] },
  );
}

/** Runs the browser through /authorize → WAF → callback with openid-client's authorization URL; stops at the app. */
export async function signIn(stack: BridgeUnderTest, browser: Browser, client: AppClient, extra: Record<string, string> = {}) {
  const app = await discoverApp(stack, client);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const authorizationUrl = oidc.buildAuthorizationUrl(app, {
    redirect_uri: client.redirectUri,
    scope: `openid profile email ${IDP_SCOPE}`,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  const { stoppedAt } = await browser.follow(authorizationUrl.href, client.redirectUri);
  if (!stoppedAt) throw new Error(`the flow did not return to the app: ${JSON.stringify(browser.hops)}`);
  return { app, callback: stoppedAt, verifier, state, nonce };
}

/** A whole sign-in: code grant, ID token validation (state, nonce, PKCE) and userinfo. */
export async function completeSignIn(stack: BridgeUnderTest, browser: Browser, client: AppClient, extra: Record<string, string> = {}) {
  const { app, callback, verifier, state, nonce } = await signIn(stack, browser, client, extra);
  const tokens = await oidc.authorizationCodeGrant(app, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims()!;
  const userinfo = await oidc.fetchUserInfo(app, tokens.access_token, claims.sub);
  return { tokens, claims, userinfo, callback };
}

// ---------------------------------------------------------------------------------------------------------------
// Raw protocol helpers

export async function pkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = oidc.randomPKCECodeVerifier();
  return { verifier, challenge: await oidc.calculatePKCECodeChallenge(verifier) };
}

/** A parameter value: a list repeats the parameter, `undefined` leaves it out. */
export type ParamValue = string | string[] | undefined;

/** Builds a query string (or form body) from parameters, keeping repeated ones and dropping undefined ones. */
export function encodeParams(params: Record<string, ParamValue>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) search.append(name, one);
  }
  return search.toString();
}

/** A valid authorization request for `client` (PKCE S256, state, nonce), with `overrides` applied. */
export async function authorizeParams(client: AppClient, overrides: Record<string, ParamValue> = {}) {
  const { verifier, challenge } = await pkcePair();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const params: Record<string, ParamValue> = {
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    response_type: 'code',
    scope: `openid profile email ${IDP_SCOPE}`,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    nonce,
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete params[name];
    else params[name] = value;
  }
  return { params, verifier, state, nonce };
}

export async function authorizeUrl(stack: Stack, client: AppClient, overrides: Record<string, ParamValue> = {}) {
  const request = await authorizeParams(client, overrides);
  return { url: `${stack.issuer}/authorize?${encodeParams(request.params)}`, ...request };
}

/**
 * Runs a browser from /authorize to the app's redirect_uri and returns what arrived there. `code` is null when the
 * flow ended in an error redirect. `authRequestId` is read from the hop to the JWT endpoint.
 */
export async function runFlow(stack: Stack, browser: Browser, client: AppClient, overrides: Record<string, ParamValue> = {}) {
  const request = await authorizeUrl(stack, client, overrides);
  const firstHop = browser.hops.length;
  const { response, stoppedAt } = await browser.follow(request.url, client.redirectUri);
  const jwtHop = browser.hops.slice(firstHop).find((hop) => hop.url.startsWith(stack.waf.url));
  const authRequestId = jwtHop ? new URL(jwtHop.url).searchParams.get('authRequestID') : null;
  return { ...request, response, callback: stoppedAt, code: stoppedAt?.searchParams.get('code') ?? null, authRequestId };
}

/** A fresh authorization code for `client`; `pkce: false` sends no code_challenge (confidential clients only). */
export async function obtainCode(stack: Stack, browser: Browser, client: AppClient, options: { pkce?: boolean; overrides?: Record<string, ParamValue> } = {}) {
  const pkceOff = options.pkce === false ? { code_challenge: undefined, code_challenge_method: undefined } : {};
  const flow = await runFlow(stack, browser, client, { ...pkceOff, ...options.overrides });
  if (!flow.code) throw new Error(`no code: ${flow.callback?.href ?? flow.response.status}`);
  return { ...flow, code: flow.code };
}

export function basicAuth(clientId: string, secret: string): string {
  const enc = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}

/** POST /token with a form body (or a raw body/content type) and optional headers. */
export function tokenRequest(
  stack: Stack,
  form: Record<string, ParamValue>,
  init: { headers?: Record<string, string>; body?: string; contentType?: string } = {},
) {
  return fetch(`${stack.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': init.contentType ?? 'application/x-www-form-urlencoded', ...init.headers },
    body: init.body ?? encodeParams(form),
  });
}

/** The standard code redemption for `client` (Basic auth for confidential clients, client_id for public ones). */
export function redeemCode(stack: Stack, client: AppClient, code: string, verifier: string | undefined, extra: Record<string, ParamValue> = {}) {
  const auth = client.clientSecret ? { headers: { authorization: basicAuth(client.clientId, client.clientSecret) } } : {};
  const form = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: client.redirectUri,
    code_verifier: verifier,
    ...(client.clientSecret ? {} : { client_id: client.clientId }),
    ...extra,
  };
  return tokenRequest(stack, form, auth);
}

export function userinfoRequest(stack: Stack, accessToken: string | undefined, init: { authorization?: string } = {}) {
  const authorization = init.authorization ?? (accessToken === undefined ? undefined : `Bearer ${accessToken}`);
  return fetch(`${stack.issuer}/userinfo`, { headers: authorization === undefined ? {} : { authorization } });
}

// ---------------------------------------------------------------------------------------------------------------
// Assertions

/** The bridge's plain error page: 400, HTML, not framable, not a redirect, no cookie set. */
export async function expectErrorPage(response: Response, status = 400): Promise<void> {
  const body = await response.text();
  expect(response.status, body.slice(0, 300)).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(response.headers.get('location')).toBeNull();
  expect(response.headers.getSetCookie()).toEqual([]);
  expect(body).toMatch(/^<!doctype html>/i);
}

/** An OIDC error redirect that reached the app's redirect_uri: the error, `iss`, `state` if given, and never a code. */
export function expectErrorRedirect(url: URL | undefined, expected: { error: string; state?: string | null; issuer: string; redirectUri: string }): void {
  expect(url, 'the flow should end at the app with an error').toBeDefined();
  const { searchParams } = url!;
  expect(`${url!.origin}${url!.pathname}`).toBe(expected.redirectUri);
  expect(searchParams.get('error'), url!.href).toBe(expected.error);
  expect(searchParams.get('iss')).toBe(expected.issuer);
  if (expected.state !== undefined) expect(searchParams.get('state')).toBe(expected.state);
  expect(searchParams.has('code')).toBe(false);
}

/** A 302 from the bridge straight to the app's redirect_uri with an OIDC error. */
export function expectErrorResponse(response: Response, expected: { error: string; state?: string | null; issuer: string; redirectUri: string }): URL {
  expect(response.status).toBe(302);
  const location = response.headers.get('location');
  expect(location).toBeTruthy();
  const url = new URL(location!);
  expectErrorRedirect(url, expected);
  return url;
}

/** A JSON error from a back-channel endpoint. */
export async function expectJsonError(response: Response, status: number, error: string): Promise<Record<string, unknown>> {
  const body = (await response.json()) as Record<string, unknown>;
  expect({ status: response.status, error: body.error }, JSON.stringify(body)).toEqual({ status, error });
  expect(body).not.toHaveProperty('access_token');
  expect(body).not.toHaveProperty('id_token');
  return body;
}

/** Parsed bridge log lines with the given `event`. */
export function logEvents(stack: Stack, event: string): Record<string, unknown>[] {
  return stack.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.event === event);
}
