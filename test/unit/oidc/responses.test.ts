/**
 * The one error renderer (src/oidc/responses.ts): by the route's channel, and on the front channel by whether a
 * redirect_uri was verified and the error is meant for the client.
 */
import { describe, expect, it } from 'vitest';
import { OAuthError, pageError } from '../../../src/oidc/errors.ts';
import { StoreUnavailableError } from '../../../src/storage/port.ts';
import { routeApp } from './harness.ts';

const target = { redirectUri: 'https://app.example/cb?tenant=1', state: 'st', issuer: 'https://id.example' };
const denied = new OAuthError('access_denied', 'not for you', { reason: 'claim_mismatch', detail: 'groups' });
const failing = (error: unknown) => () => {
  throw error;
};

describe('renderError', () => {
  it('back channel: JSON with the OAuth error, no-store, the reason only in the log', async () => {
    const app = routeApp(failing(denied));
    const response = await app.request('/');
    expect(response.status).toBe(403);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ error: 'access_denied', error_description: 'not for you' });
    expect(app.logs).toContainEqual(expect.objectContaining({ event: 'test.rejected', reason: 'claim_mismatch', detail: 'groups', level: 'info' }));
  });

  it('back channel: invalid_client carries a Basic challenge (RFC 6749 §5.2)', async () => {
    const response = await routeApp(failing(new OAuthError('invalid_client', 'client authentication failed', { reason: 'client_auth_failed' }))).request('/');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it('front channel with a verified redirect_uri: an error redirect keeping its query, with state and iss', async () => {
    const response = await routeApp(failing(denied), { channel: 'front', target }).request('/');
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://app.example/cb');
    expect(Object.fromEntries(location.searchParams)).toEqual({
      tenant: '1',
      error: 'access_denied',
      error_description: 'not for you',
      state: 'st',
      iss: 'https://id.example',
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('front channel with iss switched off for the client: no iss parameter', async () => {
    const response = await routeApp(failing(denied), { channel: 'front', target: { ...target, issuer: undefined } }).request('/');
    expect(new URL(response.headers.get('location')!).searchParams.has('iss')).toBe(false);
  });

  it('front channel without a verified redirect_uri: a plain page, never a redirect', async () => {
    const response = await routeApp(failing(denied), { channel: 'front' }).request('/');
    expect(response.status).toBe(403);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await response.text()).toContain('req-1');
  });

  it('front channel: a page-only error is a page even when a redirect_uri is verified', async () => {
    const response = await routeApp(failing(pageError('auth_request_unknown', { title: 'Sign-in request expired', message: 'Start again.' })), {
      channel: 'front',
      target,
    }).request('/');
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    const body = await response.text();
    expect(body).toContain('<h1>Sign-in request expired</h1>');
    expect(body).toContain('Start again.');
  });

  it('a store outage is temporarily_unavailable with Retry-After: a redirect, a page, or JSON', async () => {
    const outage = new StoreUnavailableError('redis get failed: ECONNREFUSED');
    const redirected = await routeApp(failing(outage), { channel: 'front', target }).request('/');
    expect(new URL(redirected.headers.get('location')!).searchParams.get('error')).toBe('temporarily_unavailable');
    const page = await routeApp(failing(outage), { channel: 'front' }).request('/');
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('Temporarily unavailable');
    const app = routeApp(failing(outage));
    const json = await app.request('/');
    expect(json.status).toBe(503);
    expect(json.headers.get('retry-after')).toBe('5');
    expect(((await json.json()) as { error: string }).error).toBe('temporarily_unavailable');
    expect(app.logs).toContainEqual(expect.objectContaining({ reason: 'store_unavailable', level: 'warn' }));
  });

  it('anything unexpected is a generic server_error: details in the log only', async () => {
    const secret = new Error('db password is hunter2');
    for (const channel of ['front', 'back'] as const) {
      const app = routeApp(failing(secret), { channel });
      const response = await app.request('/');
      expect(response.status).toBe(500);
      const body = await response.text();
      expect(body).not.toContain('hunter2');
      expect(body).not.toMatch(/at .*\.ts/); // no stack trace
      expect(app.logs).toContainEqual(expect.objectContaining({ event: 'request.failed', level: 'error', err: secret }));
    }
  });

  it('front channel: an unexpected error with a verified redirect_uri is a server_error redirect', async () => {
    const response = await routeApp(failing(new Error('boom')), { channel: 'front', target }).request('/');
    expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe('server_error');
  });

  it('error_description keeps to the RFC 6749 §4.1.2.1 character set', async () => {
    const response = await routeApp(failing(new OAuthError('invalid_request', 'bad "value" \\ ü\n'))).request('/');
    const { error_description } = (await response.json()) as { error_description: string };
    expect(error_description).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/);
  });
});
