/**
 * Refresh tokens (DESIGN §6, RFC 6749 §6, OIDC Core §11/§12, RFC 9700 §4.14) against the real server, with
 * openid-client's `refreshTokenGrant` as a real relying party uses it, on memory and real Redis.
 */
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, completeSignIn, discoverApp, expectJsonError, logEvents, tokenRequest, userinfoRequest, type AppClient } from '../helpers/app-client.ts';
import { openRedisStore, startStack, WEB_APP, type Stack } from '../helpers/stack.ts';
import { OFFLINE_APP, OFFLINE_SCOPE, OTHER_OFFLINE_APP, offlineClients, refreshRequest } from './refresh-clients.ts';

describe.each(['memory', 'redis'] as const)('refresh tokens (%s store)', (store) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ store, clients: offlineClients });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const signInOffline = async (sub = 'alice', client: AppClient = OFFLINE_APP) => {
    const result = await completeSignIn(stack, await stack.browser(sub), client, { scope: OFFLINE_SCOPE });
    expect(result.tokens.refresh_token).toBeTruthy();
    return result;
  };

  it('offline_access with the refresh_token grant → an opaque refresh token naming its family; rotation on every use', async () => {
    const { tokens, claims } = await signInOffline();
    const first = tokens.refresh_token!;
    expect(first).toMatch(/^[0-9a-f]{32}\.[0-9a-f]{64}$/);
    expect(tokens.scope?.split(' ')).toContain('offline_access');

    const app = await discoverApp(stack, OFFLINE_APP);
    const refreshed = await oidc.refreshTokenGrant(app, first);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(first);
    // Same family, new secret.
    expect(refreshed.refresh_token!.split('.')[0]).toBe(first.split('.')[0]);
    const idClaims = refreshed.claims()!;
    expect({ sub: idClaims.sub, auth_time: idClaims.auth_time, sid: idClaims.sid, aud: idClaims.aud }).toEqual({
      sub: claims.sub,
      auth_time: claims.auth_time,
      sid: claims.sid,
      aud: claims.aud,
    });
    expect(idClaims.nonce).toBeUndefined();
    expect((await userinfoRequest(stack, refreshed.access_token)).status).toBe(200);

    const again = await oidc.refreshTokenGrant(app, refreshed.refresh_token!);
    expect(again.refresh_token).not.toBe(refreshed.refresh_token);
    expect(logEvents(stack, 'refresh.rotated').length).toBeGreaterThanOrEqual(2);
  });

  it('a rotated token presented again → invalid_grant, and the whole grant is revoked (family and access tokens)', async () => {
    const { tokens } = await signInOffline();
    const first = tokens.refresh_token!;
    const rotatedResponse = await refreshRequest(stack, OFFLINE_APP, first);
    expect(rotatedResponse.status).toBe(200);
    const rotated = (await rotatedResponse.json()) as { refresh_token: string; access_token: string };
    expect((await userinfoRequest(stack, rotated.access_token)).status).toBe(200);

    const reused = await refreshRequest(stack, OFFLINE_APP, first);
    expect(reused.headers.get('cache-control')).toBe('no-store');
    await expectJsonError(reused, 400, 'invalid_grant');
    // The family is gone: the newest token fails too, and so do the grant's access tokens (old and new).
    await expectJsonError(await refreshRequest(stack, OFFLINE_APP, rotated.refresh_token), 400, 'invalid_grant');
    for (const accessToken of [tokens.access_token, rotated.access_token]) {
      const userinfo = await userinfoRequest(stack, accessToken);
      expect(userinfo.status).toBe(401);
      expect(((await userinfo.json()) as { error_description: string }).error_description).toMatch(/revoked/);
    }
    expect(logEvents(stack, 'refresh.reused').length).toBeGreaterThan(0);
    const rejected = logEvents(stack, 'token.rejected').map((e) => e.reason);
    expect(rejected).toContain('refresh_token_reused');
    // Never a token in a log.
    const logs = stack.logs.join('\n');
    for (const token of [first, rotated.refresh_token, first.split('.')[1]!]) expect(logs).not.toContain(token);
  });

  it('scope may narrow (this response only), never widen (invalid_scope, the token stays usable)', async () => {
    const { tokens } = await signInOffline();
    const narrowed = await refreshRequest(stack, OFFLINE_APP, tokens.refresh_token!, { scope: 'openid' });
    const body = (await narrowed.json()) as { scope: string; access_token: string; refresh_token: string; id_token: string };
    expect(narrowed.status, JSON.stringify(body)).toBe(200);
    expect(body.scope).toBe('openid');
    expect(decodeJwt(body.access_token).scope).toBe('openid');
    expect(decodeJwt(body.id_token).email).toBeUndefined();

    const widened = await refreshRequest(stack, OFFLINE_APP, body.refresh_token, { scope: 'openid groups' });
    await expectJsonError(widened, 400, 'invalid_scope');
    expect(logEvents(stack, 'token.rejected').map((e) => e.reason)).toContain('scope_widened');

    await expectJsonError(
      await refreshRequest(stack, OFFLINE_APP, body.refresh_token, { scope: 'openid urn:zitadel:iam:org:idp:id:other' }),
      400,
      'invalid_scope',
    );

    // The scope string of the authorization request (with its IdP scope, and an unknown scope) may be sent again.
    const resent = await refreshRequest(stack, OFFLINE_APP, body.refresh_token, { scope: `${OFFLINE_SCOPE} custom` });
    const resentBody = (await resent.json()) as { scope: string; refresh_token: string };
    expect(resent.status, JSON.stringify(resentBody)).toBe(200);
    expect(resentBody.scope.split(' ').sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);

    // Not burned by the refusals; the family keeps the scopes of the login.
    const full = await refreshRequest(stack, OFFLINE_APP, resentBody.refresh_token);
    const fullBody = (await full.json()) as { scope: string };
    expect(full.status).toBe(200);
    expect(fullBody.scope.split(' ').sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);
  });

  it("another client's refresh token → invalid_grant, and nothing is revoked", async () => {
    const { tokens } = await signInOffline();
    const foreign = await refreshRequest(stack, OTHER_OFFLINE_APP, tokens.refresh_token!);
    await expectJsonError(foreign, 400, 'invalid_grant');
    expect((await userinfoRequest(stack, tokens.access_token)).status).toBe(200);
    expect((await refreshRequest(stack, OFFLINE_APP, tokens.refresh_token!)).status).toBe(200);
  });

  it('no refresh token without offline_access, nor for a client without the refresh_token grant (offline_access dropped)', async () => {
    const plain = await completeSignIn(stack, await stack.browser('alice'), OFFLINE_APP);
    expect(plain.tokens.refresh_token).toBeUndefined();

    const web = await completeSignIn(stack, await stack.browser('alice'), WEB_APP, { scope: OFFLINE_SCOPE });
    expect(web.tokens.refresh_token).toBeUndefined();
    expect(web.tokens.scope?.split(' ')).not.toContain('offline_access');

    const refused = await tokenRequest(
      stack,
      { grant_type: 'refresh_token', refresh_token: 'x' },
      { headers: { authorization: basicAuth(WEB_APP.clientId, WEB_APP.clientSecret) } },
    );
    await expectJsonError(refused, 400, 'unauthorized_client');
  });

  it('bad input → the right OAuth error, never a 500', async () => {
    await expectJsonError(await refreshRequest(stack, OFFLINE_APP, undefined), 400, 'invalid_request');
    for (const garbage of ['garbage', 'a.b', `${'A'.repeat(22)}.${'B'.repeat(43)}`, '.'.repeat(100)]) {
      await expectJsonError(await refreshRequest(stack, OFFLINE_APP, garbage), 400, 'invalid_grant');
    }
    const json = await tokenRequest(
      stack,
      {},
      {
        body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: 'x' }),
        contentType: 'application/json',
        headers: { authorization: basicAuth(OFFLINE_APP.clientId, OFFLINE_APP.clientSecret) },
      },
    );
    await expectJsonError(json, 400, 'invalid_request');
    const repeated = await tokenRequest(
      stack,
      { grant_type: 'refresh_token', refresh_token: ['a', 'b'] },
      { headers: { authorization: basicAuth(OFFLINE_APP.clientId, OFFLINE_APP.clientSecret) } },
    );
    await expectJsonError(repeated, 400, 'invalid_request');
  });

  it.runIf(store === 'redis')('a user disabled since the login → invalid_grant', async () => {
    const { tokens, claims } = await signInOffline(`to-disable-${crypto.randomUUID()}`);
    const redis = openRedisStore(stack.keyPrefix);
    try {
      await redis.users.setDisabled(claims.sub, true);
    } finally {
      await redis.close();
    }
    await expectJsonError(await refreshRequest(stack, OFFLINE_APP, tokens.refresh_token!), 400, 'invalid_grant');
    expect(logEvents(stack, 'token.rejected').map((e) => e.reason)).toContain('user_unavailable');
  });
});
