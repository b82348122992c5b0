/**
 * The device authorization grant (RFC 8628) against the real server: openid-client v6 as the CLI
 * (initiateDeviceAuthorization, pollDeviceAuthorizationGrant) while the test browser approves on /device through the
 * WAF stand-in; every polling error; slow_down; the browser binding; CSRF; memory and real Redis.
 */
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.ts';
import { USER_CODE_ALPHABET } from '../../src/oidc/device/user-code.ts';
import { expectJsonError, logEvents } from '../helpers/app-client.ts';
import { Browser } from '../helpers/browser.ts';
import {
  answerDevice,
  CLI,
  CLI_CONFIDENTIAL,
  csrfOf,
  deviceClients,
  enterCode,
  pageTitle,
  pollDevice,
  postDevice,
  startDevice,
  startedDevice,
} from '../helpers/device.ts';
import { startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

const cliConfig = (stack: Stack, clientId = CLI.clientId) =>
  oidc.discovery(new URL(stack.issuer), clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });

describe.each(['memory', 'redis'] as const)('device authorization grant (%s store)', (store) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ store, clients: deviceClients(), device: { intervalSeconds: 1 } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('discovery advertises the endpoint and the grant type', async () => {
    const metadata = (await (await fetch(`${stack.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata.device_authorization_endpoint).toBe(`${stack.issuer}/device_authorization`);
    expect(metadata.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:device_code');
  });

  it('openid-client as the CLI: initiate, approve in the browser, poll → ID token with groups (array of strings) and amr, refresh token', async () => {
    const config = await cliConfig(stack);
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid profile email groups offline_access' });
    expect(started.user_code).toMatch(new RegExp(`^[${USER_CODE_ALPHABET}]{4}-[${USER_CODE_ALPHABET}]{4}$`));
    expect(started.device_code.length).toBeGreaterThanOrEqual(43);
    expect(started.verification_uri).toBe(`${stack.issuer}/device`);
    expect(started.verification_uri_complete).toBe(`${stack.issuer}/device?user_code=${started.user_code}`);
    expect(started.expires_in).toBe(600);
    expect(started.interval).toBe(1);

    const polling = oidc.pollDeviceAuthorizationGrant(config, started);
    const browser = await stack.browser('alice', { email: 'alice@example.com', groups: ['ops-admins', 'devs'], amr: ['pwd', 'otp'] });
    // Typed in lower case, without the dash.
    const done = await answerDevice(browser, stack.issuer, started.user_code.replace('-', '').toLowerCase());
    expect(done.status).toBe(200);
    expect(await pageTitle(done)).toBe('Device connected');

    const tokens = await polling;
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: stack.issuer, aud: CLI.clientId, email: 'alice@example.com', groups: ['ops-admins', 'devs'], amr: ['pwd', 'otp'] });
    expect(Array.isArray(claims.groups) && claims.groups.every((g) => typeof g === 'string')).toBe(true);
    expect(claims.sub).not.toBe('alice');
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.expires_in).toBe(300);
    expect(claims.exp! - claims.iat).toBeGreaterThanOrEqual(tokens.expires_in!);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.claims()!.sub).toBe(claims.sub);
    expect(logEvents(stack, 'device.started').length).toBeGreaterThan(0);
    expect(logEvents(stack, 'device.approved').length).toBeGreaterThan(0);

    // Once only: the same device_code again is invalid_grant.
    await expectJsonError(await pollDevice(stack, started.device_code), 400, 'invalid_grant');
  });

  it('a confidential client authenticates at /device_authorization and at /token', async () => {
    const config = await oidc.discovery(new URL(stack.issuer), CLI_CONFIDENTIAL.clientId, CLI_CONFIDENTIAL.clientSecret, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
    const polling = oidc.pollDeviceAuthorizationGrant(config, started);
    await answerDevice(await stack.browser('bob'), stack.issuer, started.user_code);
    expect((await polling).claims()!.aud).toBe(CLI_CONFIDENTIAL.clientId);
    // Without its secret: invalid_client.
    await expectJsonError(await startDevice(stack, { client_id: CLI_CONFIDENTIAL.clientId }), 401, 'invalid_client');
  });

  it('without openid: an access token and no ID token', async () => {
    const started = await startedDevice(stack, { scope: 'profile' });
    await answerDevice(await stack.browser('carol'), stack.issuer, started.user_code);
    const response = await pollDevice(stack, started.device_code);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.id_token).toBeUndefined();
    expect(body.scope).toBe('profile');
    expect(decodeJwt(body.access_token as string).client_id).toBe(CLI.clientId);
  });

  it('polling errors: authorization_pending, slow_down, access_denied after deny, invalid_grant for unknown and foreign codes', async () => {
    const started = await startedDevice(stack);
    await expectJsonError(await pollDevice(stack, started.device_code), 400, 'authorization_pending');
    await expectJsonError(await pollDevice(stack, started.device_code), 400, 'slow_down');
    expect(logEvents(stack, 'device.polled_too_fast').at(-1)).toMatchObject({ reason: 'slow_down', intervalSeconds: 6 });
    await expectJsonError(await pollDevice(stack, 'A'.repeat(43)), 400, 'invalid_grant');
    await expectJsonError(await pollDevice(stack, 'not a code'), 400, 'invalid_grant');
    // Another client presenting this code learns nothing about it.
    await expectJsonError(
      await pollDevice(stack, started.device_code, { client_id: CLI_CONFIDENTIAL.clientId, client_secret: CLI_CONFIDENTIAL.clientSecret }),
      400,
      'invalid_grant',
    );

    const denied = await answerDevice(await stack.browser('dave'), stack.issuer, started.user_code, 'deny');
    expect(await pageTitle(denied)).toBe('Request denied');
    await expectJsonError(await pollDevice(stack, started.device_code), 400, 'access_denied');
    expect(logEvents(stack, 'device.denied').at(-1)).toMatchObject({ reason: 'device_denied' });
    // The user code names nothing any more.
    const again = await enterCode(new Browser(), stack.issuer, started.user_code);
    expect(again.status).toBe(400);
  });

  it('clients not allowed the grant, and bad requests, are refused at /device_authorization', async () => {
    await expectJsonError(await startDevice(stack, { client_id: WEB_APP.clientId, client_secret: WEB_APP.clientSecret }), 400, 'unauthorized_client');
    await expectJsonError(await startDevice(stack, { client_id: 'nobody' }), 401, 'invalid_client');
    await expectJsonError(await startDevice(stack, { scope: 'openid urn:zitadel:iam:org:idp:id:other' }), 400, 'invalid_request');
    const repeated = await fetch(`${stack.issuer}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'client_id=cli&client_id=cli',
    });
    await expectJsonError(repeated, 400, 'invalid_request');
    expect((await fetch(`${stack.issuer}/device_authorization`)).status).toBe(405);
    // A web client may not poll with the device grant either.
    const webPoll = await pollDevice(stack, 'A'.repeat(43), { client_id: WEB_APP.clientId, client_secret: WEB_APP.clientSecret });
    await expectJsonError(webPoll, 400, 'unauthorized_client');
  });

  it('an entered code is bound to the browser that entered it; other browsers and forged forms are refused', async () => {
    const started = await startedDevice(stack);
    const first = await stack.browser('erin');
    const confirm = await (await enterCode(first, stack.issuer, started.user_code)).text();
    expect(confirm).toContain('<h1>Approve cli?</h1>');
    const csrf = csrfOf(confirm);

    const second = await stack.browser('mallory');
    const elsewhere = await enterCode(second, stack.issuer, started.user_code);
    expect(elsewhere.status).toBe(403);
    expect(await pageTitle(elsewhere)).toBe('Code already in use');
    // Mallory replays Erin's confirmation form: her browser's cookie does not match it.
    const replayed = await postDevice(second, stack.issuer, { csrf, action: 'approve' });
    expect(replayed.status).toBe(403);
    // No form token, or a GET: nothing is approved.
    expect((await postDevice(first, stack.issuer, { action: 'approve' })).status).toBe(403);
    expect((await first.request(`${stack.issuer}/device?action=approve&csrf=${encodeURIComponent(csrf)}`)).status).toBe(200);
    await expectJsonError(await pollDevice(stack, started.device_code), 400, 'authorization_pending');

    // Erin approves with her own form.
    const approved = await postDevice(first, stack.issuer, { csrf, action: 'approve' });
    expect(approved.status).toBe(302);
    const done = await first.follow(new URL(approved.headers.get('location')!).href, 'about:never');
    expect(await pageTitle(done.response)).toBe('Device connected');
    expect((await pollDevice(stack, started.device_code)).status).toBe(200);
  });

  it('session swap: an approval link carried to another browser approves nothing (binding cookie mismatch)', async () => {
    const started = await startedDevice(stack);
    const attacker = await stack.browser('mallory');
    const confirm = await (await enterCode(attacker, stack.issuer, started.user_code)).text();
    const approve = await postDevice(attacker, stack.issuer, { csrf: csrfOf(confirm), action: 'approve' });
    const jwtEndpointUrl = approve.headers.get('location')!;
    expect(jwtEndpointUrl).toContain('authRequestID=');
    // The victim (another browser, own WAF session) is lured to the attacker's JWT endpoint link.
    const victim = await stack.browser('victim');
    const { response } = await victim.follow(jwtEndpointUrl, 'about:never');
    expect(response.status).toBe(403);
    expect(logEvents(stack, 'login.binding_failed').length).toBeGreaterThan(0);
    await expectJsonError(await pollDevice(stack, started.device_code), 400, 'authorization_pending');
  });

  it('verification_uri_complete prefills the code; nothing is bound or approved by the GET', async () => {
    const started = await startedDevice(stack);
    const page = await new Browser().request(started.verification_uri_complete);
    const html = await page.text();
    expect(html).toContain(`value="${started.user_code}"`);
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self'");
    expect(html).not.toContain('<script');
    // A junk user_code is not echoed.
    const junk = await (await new Browser().request(`${stack.issuer}/device?user_code=%3Cb%3Eevil`)).text();
    expect(junk).not.toContain('<b>evil');
    // Still enterable from another browser: the GET bound nothing.
    const confirm = await enterCode(await stack.browser('frank'), stack.issuer, started.user_code);
    expect(await pageTitle(confirm)).toBe('Approve cli?');
    // The confirmation's form may lead only to the bridge and on to the IdP's JWT endpoint (CSP applies to redirects).
    expect(confirm.headers.get('content-security-policy')).toContain(`form-action 'self' ${new URL(stack.waf.url).origin}`);
  });

  it('without a WAF session (and no loginUrl) the person reads that they must sign in first; the device stays pending', async () => {
    const started = await startedDevice(stack);
    const page = await answerDevice(new Browser(), stack.issuer, started.user_code);
    expect(page.status).toBe(400);
    expect(await pageTitle(page)).toBe('Not signed in');
    await expectJsonError(await pollDevice(stack, started.device_code), 400, 'authorization_pending');
  });
});

describe('device grant with a manual clock', () => {
  const clock = createManualClock();
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ clock, clients: deviceClients(), device: { intervalSeconds: 5, codeTtlSeconds: 60 } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('slow_down raises this code interval by 5 s each time; polling at the new interval is pending again', async () => {
    const started = await startedDevice(stack);
    expect(started.interval).toBe(5);
    await expectJsonError(await pollDevice(stack, started.device_code), 400, 'authorization_pending');
    clock.advance(4_000);
    await expectJsonError(await pollDevice(stack, started.device_code), 400, 'slow_down'); // interval now 10 s
    clock.advance(9_000);
    await expectJsonError(await pollDevice(stack, started.device_code), 400, 'slow_down'); // interval now 15 s
    clock.advance(15_000);
    await expectJsonError(await pollDevice(stack, started.device_code), 400, 'authorization_pending');
  });

  it('expired_token after expires_in, also for an approved code never picked up', async () => {
    const pending = await startedDevice(stack);
    const approved = await startedDevice(stack);
    await answerDevice(await stack.browser('gina'), stack.issuer, approved.user_code);
    clock.advance(61_000);
    await expectJsonError(await pollDevice(stack, pending.device_code), 400, 'expired_token');
    await expectJsonError(await pollDevice(stack, approved.device_code), 400, 'expired_token');
    // The expired user code can no longer be entered.
    expect((await enterCode(await stack.browser('gina'), stack.issuer, pending.user_code)).status).toBe(400);
  });
});
