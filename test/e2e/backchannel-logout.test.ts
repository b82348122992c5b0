/**
 * Back-channel logout (OpenID Connect Back-Channel Logout 1.0) against the real server, memory and real Redis: a
 * relying party's endpoint written here receives the logout token and verifies it with jose against the bridge's
 * /jwks — on RP-initiated logout, on a reused refresh token or code, and when an administrator disables the user —
 * with bounded retries that never hold up the user's redirect.
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runUsersCommand } from '../../src/cli/users.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { BACKCHANNEL_LOGOUT_EVENT } from '../../src/oidc/tokens/logout-token.ts';
import { completeSignIn, discoverApp, logEvents, obtainCode, redeemCode, userinfoRequest, type AppClient } from '../helpers/app-client.ts';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/backchannel-receiver.ts';
import { pollUntil } from '../helpers/poll-until.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { OFFLINE_SCOPE, refreshRequest } from './refresh-clients.ts';

const BCL_APP: AppClient & { clientSecret: string } = {
  clientId: 'bcl-app',
  clientSecret: 'bcl-app-secret-0123456789',
  redirectUri: 'http://localhost:7008/callback',
};
const DEAD_APP: AppClient & { clientSecret: string } = {
  clientId: 'bcl-dead-app',
  clientSecret: 'bcl-dead-secret-0123456789',
  redirectUri: 'http://localhost:7009/callback',
};

function clientEntry(app: AppClient & { clientSecret: string }, backchannelLogoutUri: string) {
  return {
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    redirectUris: [app.redirectUri],
    identityProviders: ['legacy'],
    grantTypes: ['authorization_code', 'refresh_token'],
    backchannelLogoutUri,
  };
}

describe.each(['memory', 'redis'] as const)('back-channel logout (%s store)', (store) => {
  let stack: Stack;
  let rp: BackchannelReceiver;

  beforeAll(async () => {
    rp = await startBackchannelReceiver();
    stack = await startStack({
      store,
      // Port 9 (discard) is closed on loopback: that RP is unreachable.
      clients: [clientEntry(BCL_APP, rp.url), clientEntry(DEAD_APP, 'http://127.0.0.1:9/backchannel-logout')],
      extraConfig: { backchannelLogout: { timeoutSeconds: 2, attempts: 2 } },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await rp?.close();
  });

  /** Waits for the n-th delivery (1-based) and returns its verified logout token. */
  async function nthLogoutToken(n: number, clientId = BCL_APP.clientId): Promise<JWTPayload> {
    await pollUntil(() => rp.deliveries.length >= n, { what: `back-channel delivery #${n}`, timeoutMs: 5_000 });
    const delivery = rp.deliveries[n - 1]!;
    expect(delivery.contentType).toBe('application/x-www-form-urlencoded');
    const { payload, protectedHeader } = await jwtVerify(delivery.logoutToken!, createRemoteJWKSet(new URL(`${stack.issuer}/jwks`)), {
      issuer: stack.issuer,
      audience: clientId,
      typ: 'logout+jwt',
      requiredClaims: ['iat', 'exp', 'jti', 'sub', 'sid', 'events'],
    });
    expect(protectedHeader.kid).toBeTruthy();
    expect(payload.events).toEqual({ [BACKCHANNEL_LOGOUT_EVENT]: {} });
    expect(payload).not.toHaveProperty('nonce');
    return payload;
  }

  it('discovery advertises back-channel logout with sessions', async () => {
    const metadata = (await discoverApp(stack, BCL_APP)).serverMetadata();
    expect(metadata.backchannel_logout_supported).toBe(true);
    expect(metadata.backchannel_logout_session_supported).toBe(true);
  });

  it('RP-initiated logout: the user is redirected at once while the RP is still busy; the RP gets a logout token for the sid', async () => {
    const { tokens, claims } = await completeSignIn(stack, await stack.browser('bcl-alice'), BCL_APP, { scope: OFFLINE_SCOPE });
    const before = rp.deliveries.length;
    rp.hold();
    try {
      const app = await discoverApp(stack, BCL_APP);
      const response = await fetch(oidc.buildEndSessionUrl(app, { id_token_hint: tokens.id_token! }), { redirect: 'manual' });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('Signed out');
      // The sign-out page came back although the RP has not answered yet.
      await pollUntil(() => rp.deliveries.length > before, { what: 'the held delivery', timeoutMs: 5_000 });
      expect(logEvents(stack, 'backchannel.sent').filter((e) => e.cause === 'end_session')).toHaveLength(0);
    } finally {
      rp.release();
    }
    const payload = await nthLogoutToken(before + 1);
    expect(payload.sid).toBe(claims.sid);
    expect(payload.sub).toBe(claims.sub);
    await pollUntil(() => logEvents(stack, 'backchannel.sent').some((e) => e.cause === 'end_session'), { what: 'backchannel.sent' });
    expect((await userinfoRequest(stack, tokens.access_token)).status).toBe(401);
  });

  it('a reused refresh token ends the session: the RP is told', async () => {
    const { tokens, claims } = await completeSignIn(stack, await stack.browser('bcl-bob'), BCL_APP, { scope: OFFLINE_SCOPE });
    const before = rp.deliveries.length;
    expect((await refreshRequest(stack, BCL_APP, tokens.refresh_token)).status).toBe(200);
    expect((await refreshRequest(stack, BCL_APP, tokens.refresh_token)).status).toBe(400);
    const payload = await nthLogoutToken(before + 1);
    expect({ sid: payload.sid, sub: payload.sub }).toEqual({ sid: claims.sid, sub: claims.sub });
    await pollUntil(() => logEvents(stack, 'backchannel.sent').some((e) => e.cause === 'refresh_reused'), { what: 'backchannel.sent' });
  });

  it('a reused code ends the session: the RP is told', async () => {
    const { code, verifier } = await obtainCode(stack, await stack.browser('bcl-carol'), BCL_APP);
    const before = rp.deliveries.length;
    const first = await redeemCode(stack, BCL_APP, code, verifier);
    expect(first.status).toBe(200);
    const { id_token } = (await first.json()) as { id_token: string };
    expect((await redeemCode(stack, BCL_APP, code, verifier)).status).toBe(400);
    const payload = await nthLogoutToken(before + 1);
    const sid = (await jwtVerify(id_token, createRemoteJWKSet(new URL(`${stack.issuer}/jwks`)))).payload.sid;
    expect(payload.sid).toBe(sid);
    await pollUntil(() => logEvents(stack, 'backchannel.sent').some((e) => e.cause === 'code_reused'), { what: 'backchannel.sent' });
  });

  it('a 5xx from the RP is retried with the same token; a 400 is not', async () => {
    const signOut = async (sub: string) => {
      const { tokens } = await completeSignIn(stack, await stack.browser(sub), BCL_APP);
      const app = await discoverApp(stack, BCL_APP);
      expect((await fetch(oidc.buildEndSessionUrl(app, { id_token_hint: tokens.id_token! }), { redirect: 'manual' })).status).toBe(200);
    };
    const before = rp.deliveries.length;
    rp.answer(503);
    await signOut('bcl-dave');
    await nthLogoutToken(before + 2);
    expect(rp.deliveries[before]!.logoutToken).toBe(rp.deliveries[before + 1]!.logoutToken);
    await pollUntil(() => logEvents(stack, 'backchannel.sent').some((e) => e.attempts === 2), { what: 'a delivery on the second attempt' });

    rp.answer(400);
    await signOut('bcl-erin');
    await pollUntil(() => logEvents(stack, 'backchannel.failed').some((e) => e.status === 400), { what: 'backchannel.failed 400' });
    expect(rp.deliveries).toHaveLength(before + 3);
    expect(logEvents(stack, 'backchannel.failed').find((e) => e.status === 400)).toMatchObject({ reason: 'backchannel_status', attempts: 1 });
  });

  it('an unreachable RP: bounded attempts, then backchannel.failed; the sign-out itself is unaffected', async () => {
    const { tokens } = await completeSignIn(stack, await stack.browser('bcl-frank'), DEAD_APP);
    const app = await discoverApp(stack, DEAD_APP);
    const response = await fetch(oidc.buildEndSessionUrl(app, { id_token_hint: tokens.id_token! }), { redirect: 'manual' });
    expect(response.status).toBe(200);
    expect((await userinfoRequest(stack, tokens.access_token)).status).toBe(401);
    await pollUntil(() => logEvents(stack, 'backchannel.failed').some((e) => e.clientId === DEAD_APP.clientId), {
      what: 'backchannel.failed',
      timeoutMs: 5_000,
    });
    expect(logEvents(stack, 'backchannel.failed').find((e) => e.clientId === DEAD_APP.clientId)).toMatchObject({
      reason: 'backchannel_unreachable',
      attempts: 2,
      cause: 'end_session',
    });
    for (const line of stack.logs.filter((l) => l.includes('backchannel'))) expect(line).not.toContain(tokens.id_token!.split('.')[1]!);
  });

  it.runIf(store === 'redis')('users disable: every session of the user ends, and each RP is told', async () => {
    const first = await completeSignIn(stack, await stack.browser('bcl-grace'), BCL_APP, { scope: OFFLINE_SCOPE });
    const second = await completeSignIn(stack, await stack.browser('bcl-grace'), BCL_APP);
    const userId = first.claims.sub;
    expect(second.claims.sub).toBe(userId);
    const before = rp.deliveries.length;
    const out: string[] = [];
    const code = await runUsersCommand({ config: stack.config, action: 'disable', id: userId, out: (line) => out.push(line), logger: silentLogger });
    expect(code).toBe(0);
    expect(out).toContain('2 sessions ended');
    expect(out.filter((line) => line === `back-channel logout delivered to ${BCL_APP.clientId}`)).toHaveLength(2);
    const sids = [(await nthLogoutToken(before + 1)).sid, (await nthLogoutToken(before + 2)).sid].sort();
    expect(sids).toEqual([first.claims.sid, second.claims.sid].sort());
    expect((await userinfoRequest(stack, first.tokens.access_token)).status).toBe(401);
    expect((await refreshRequest(stack, BCL_APP, first.tokens.refresh_token)).status).toBe(400);
  });
});
