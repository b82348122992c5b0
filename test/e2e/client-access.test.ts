/**
 * Per-client access policy (DESIGN §3 `access.requireClaims`, JIT eligibility) at each entry point — login completion
 * at the callback, device approval, refresh — and per-client token lifetimes, against the real server.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeSignIn, expectErrorRedirect, expectJsonError, logEvents, runFlow } from '../helpers/app-client.ts';
import { answerDevice, CLI, deviceClients, pageTitle, pollDevice, startedDevice } from '../helpers/device.ts';
import { startStack, WEB_APP, type Stack } from '../helpers/stack.ts';
import { OFFLINE_SCOPE, refreshRequest } from './refresh-clients.ts';

const JIT_WEB = { clientId: 'jit-web', clientSecret: 'jit-web-secret-0123456789abc', redirectUri: 'http://localhost:7010/callback' };
const SHORT = { clientId: 'short-lived', clientSecret: 'short-lived-secret-0123456789', redirectUri: 'http://localhost:7011/callback' };
const LONG = { clientId: 'long-lived', clientSecret: 'long-lived-secret-0123456789a', redirectUri: 'http://localhost:7012/callback' };
const policy = { requireClaims: { groups: ['ops-admins', 'sre'] } };

describe('per-client access policy and lifetimes', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      clients: [
        {
          clientId: JIT_WEB.clientId,
          clientSecret: JIT_WEB.clientSecret,
          redirectUris: [JIT_WEB.redirectUri],
          identityProviders: ['legacy'],
          grantTypes: ['authorization_code', 'refresh_token'],
          access: policy,
        },
        {
          clientId: SHORT.clientId,
          clientSecret: SHORT.clientSecret,
          redirectUris: [SHORT.redirectUri],
          identityProviders: ['legacy'],
          accessTokenTtlSeconds: 60,
        },
        {
          clientId: LONG.clientId,
          clientSecret: LONG.clientSecret,
          redirectUris: [LONG.redirectUri],
          identityProviders: ['legacy'],
          accessTokenTtlSeconds: 900,
        },
        ...deviceClients({ access: policy }),
      ],
      device: { intervalSeconds: 1 },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('/authorize: a user outside the required groups gets access_denied at the app; a member signs in', async () => {
    const flow = await runFlow(stack, await stack.browser('outsider', { groups: ['devs'] }), JIT_WEB);
    expectErrorRedirect(flow.callback, { error: 'access_denied', state: flow.state, issuer: stack.issuer, redirectUri: JIT_WEB.redirectUri });
    expect(logEvents(stack, 'access.denied').at(-1)).toMatchObject({ reason: 'client_policy_denied', claim: 'groups', at: 'authorize' });
    // No groups claim at all: denied too.
    const none = await runFlow(stack, await stack.browser('nogroups'), JIT_WEB);
    expect(none.callback?.searchParams.get('error')).toBe('access_denied');
    // The same users may still use clients without a policy.
    expect((await runFlow(stack, await stack.browser('outsider', { groups: ['devs'] }), WEB_APP)).code).toBeTruthy();

    const { claims } = await completeSignIn(stack, await stack.browser('member', { groups: ['sre'] }), JIT_WEB, { scope: `${OFFLINE_SCOPE} groups` });
    expect(claims.groups).toEqual(['sre']);
  });

  it('refresh stops working once the user no longer matches (groups changed at the next legacy login)', async () => {
    const { tokens } = await completeSignIn(stack, await stack.browser('leaver', { groups: ['ops-admins'] }), JIT_WEB, { scope: OFFLINE_SCOPE });
    const first = await refreshRequest(stack, JIT_WEB, tokens.refresh_token);
    expect(first.status).toBe(200);
    const { refresh_token: next } = (await first.json()) as { refresh_token: string };
    // The next legacy login (through another app) updates the stored profile: no longer an admin.
    await completeSignIn(stack, await stack.browser('leaver', { groups: ['devs'] }), WEB_APP);
    await expectJsonError(await refreshRequest(stack, JIT_WEB, next), 400, 'access_denied');
    expect(logEvents(stack, 'access.denied').at(-1)).toMatchObject({ reason: 'client_policy_denied', at: 'refresh' });
  });

  it('device approval: a non-member sees "Access denied" and the CLI gets access_denied; a member gets tokens', async () => {
    const denied = await startedDevice(stack);
    const page = await answerDevice(await stack.browser('outsider', { groups: ['devs'] }), stack.issuer, denied.user_code);
    expect(page.status).toBe(403);
    expect(await pageTitle(page)).toBe('Access denied');
    await expectJsonError(await pollDevice(stack, denied.device_code), 400, 'access_denied');
    expect(logEvents(stack, 'device.denied').at(-1)).toMatchObject({ reason: 'client_policy_denied' });
    expect(logEvents(stack, 'access.denied').at(-1)).toMatchObject({ at: 'device' });

    const allowed = await startedDevice(stack);
    expect(await pageTitle(await answerDevice(await stack.browser('member', { groups: ['ops-admins'] }), stack.issuer, allowed.user_code))).toBe(
      'Device connected',
    );
    const response = await pollDevice(stack, allowed.device_code);
    expect(response.status).toBe(200);
    expect(decodeJwt(((await response.json()) as { id_token: string }).id_token)).toMatchObject({ aud: CLI.clientId, groups: ['ops-admins'] });
  });

  it('per-client accessTokenTtlSeconds; the ID token lives at least as long as expires_in', async () => {
    const short = await completeSignIn(stack, await stack.browser('alice'), SHORT);
    expect(short.tokens.expires_in).toBe(60);
    const shortAt = decodeJwt(short.tokens.access_token);
    expect(shortAt.exp! - shortAt.iat!).toBe(60);
    expect(short.claims.exp - short.claims.iat).toBe(300);

    const long = await completeSignIn(stack, await stack.browser('alice'), LONG);
    expect(long.tokens.expires_in).toBe(900);
    expect(long.claims.exp - long.claims.iat).toBe(900);
  });
});
