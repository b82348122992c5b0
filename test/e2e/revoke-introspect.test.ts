/**
 * Revocation (RFC 7009, POST /revoke) and introspection (RFC 7662, POST /introspect) against the real server, with
 * openid-client's `tokenRevocation` and `tokenIntrospection`, on memory and real Redis.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.ts';
import { startNodeServer, type RunningServer } from '../../src/runtime/node.ts';
import {
  basicAuth,
  completeSignIn,
  discoverApp,
  encodeParams,
  expectJsonError,
  logEvents,
  userinfoRequest,
  type AppClient,
  type ParamValue,
} from '../helpers/app-client.ts';
import { openRedisStore, SPA, startStack, WEB_APP, type Stack } from '../helpers/stack.ts';
import { OFFLINE_APP, OFFLINE_SCOPE, OTHER_OFFLINE_APP, offlineClients, refreshRequest } from './refresh-clients.ts';

const RESOURCE_SERVER = { id: 'orders-api', secret: 'orders-api-secret-0123456789' };

function post(base: string, path: string, form: Record<string, ParamValue>, init: { authorization?: string; contentType?: string; body?: string } = {}) {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': init.contentType ?? 'application/x-www-form-urlencoded', ...(init.authorization && { authorization: init.authorization }) },
    body: init.body ?? encodeParams(form),
  });
}
const auth = (client: { clientId: string; clientSecret: string }) => basicAuth(client.clientId, client.clientSecret);

async function introspect(base: string, token: string, authorization: string, extra: Record<string, string> = {}) {
  const response = await post(base, '/introspect', { token, ...extra }, { authorization });
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return (await response.json()) as Record<string, unknown>;
}

describe.each(['memory', 'redis'] as const)('revocation and introspection (%s store)', (store) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ store, clients: offlineClients });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const signInOffline = async (client: AppClient = OFFLINE_APP) =>
    (await completeSignIn(stack, await stack.browser('alice'), client, { scope: OFFLINE_SCOPE })).tokens;

  it('revoking a refresh token (openid-client tokenRevocation) ends its family and its grant', async () => {
    const tokens = await signInOffline();
    const app = await discoverApp(stack, OFFLINE_APP);
    await oidc.tokenRevocation(app, tokens.refresh_token!);
    await expectJsonError(await refreshRequest(stack, OFFLINE_APP, tokens.refresh_token!), 400, 'invalid_grant');
    expect((await userinfoRequest(stack, tokens.access_token)).status).toBe(401);
    expect(await introspect(stack.issuer, tokens.access_token, auth(OFFLINE_APP))).toEqual({ active: false });
    expect(logEvents(stack, 'token.revoked').some((e) => e.tokenType === 'refresh_token')).toBe(true);
    expect(stack.logs.join('\n')).not.toContain(tokens.refresh_token!.split('.')[1]);
  });

  it('revoking an access token revokes its grant (userinfo 401, and its refresh token no longer works)', async () => {
    const tokens = await signInOffline();
    const response = await post(stack.issuer, '/revoke', { token: tokens.access_token, token_type_hint: 'access_token' }, { authorization: auth(OFFLINE_APP) });
    expect(response.status).toBe(200);
    expect((await userinfoRequest(stack, tokens.access_token)).status).toBe(401);
    await expectJsonError(await refreshRequest(stack, OFFLINE_APP, tokens.refresh_token!), 400, 'invalid_grant');
    expect(logEvents(stack, 'token.revoked').some((e) => e.tokenType === 'access_token')).toBe(true);
  });

  it('a public client revokes with its client_id; the hint is not required', async () => {
    const { tokens } = await completeSignIn(stack, await stack.browser('alice'), SPA);
    const response = await post(stack.issuer, '/revoke', { token: tokens.access_token, client_id: SPA.clientId });
    expect(response.status).toBe(200);
    expect((await userinfoRequest(stack, tokens.access_token)).status).toBe(401);
  });

  it("another client's token, unknown tokens and garbage → 200, nothing revoked", async () => {
    const tokens = await signInOffline();
    for (const token of [tokens.refresh_token!, tokens.access_token, 'garbage', `${'A'.repeat(22)}.${'B'.repeat(43)}`]) {
      const response = await post(stack.issuer, '/revoke', { token }, { authorization: auth(OTHER_OFFLINE_APP) });
      expect(response.status).toBe(200);
    }
    expect((await userinfoRequest(stack, tokens.access_token)).status).toBe(200);
    expect((await refreshRequest(stack, OFFLINE_APP, tokens.refresh_token!)).status).toBe(200);
  });

  it('bad requests at /revoke and /introspect → the right OAuth error, never a 500', async () => {
    for (const path of ['/revoke', '/introspect']) {
      await expectJsonError(await post(stack.issuer, path, {}, { authorization: auth(OFFLINE_APP) }), 400, 'invalid_request');
      await expectJsonError(await post(stack.issuer, path, { token: ['a', 'b'] }, { authorization: auth(OFFLINE_APP) }), 400, 'invalid_request');
      await expectJsonError(
        await post(stack.issuer, path, {}, { contentType: 'application/json', body: '{"token":"x"}', authorization: auth(OFFLINE_APP) }),
        400,
        'invalid_request',
      );
      await expectJsonError(await post(stack.issuer, path, { token: 'x' }), 401, 'invalid_client');
      await expectJsonError(
        await post(stack.issuer, path, { token: 'x' }, { authorization: basicAuth(OFFLINE_APP.clientId, 'wrong-secret-0123456789') }),
        401,
        'invalid_client',
      );
      expect((await fetch(`${stack.issuer}${path}`)).status).toBe(405);
    }
    // Public clients cannot introspect.
    await expectJsonError(await post(stack.issuer, '/introspect', { token: 'x', client_id: SPA.clientId }), 401, 'invalid_client');
  });

  it('introspection (openid-client tokenIntrospection): live access and refresh tokens of the caller', async () => {
    const tokens = await signInOffline();
    const app = await discoverApp(stack, OFFLINE_APP);
    const access = await oidc.tokenIntrospection(app, tokens.access_token);
    const claims = tokens.claims()!;
    expect(access).toMatchObject({
      active: true,
      sub: claims.sub,
      client_id: OFFLINE_APP.clientId,
      iss: stack.issuer,
      aud: stack.issuer,
      token_type: 'Bearer',
      sid: claims.sid,
    });
    expect(access.scope?.split(' ')).toContain('offline_access');
    expect(typeof access.exp).toBe('number');
    expect(typeof access.iat).toBe('number');

    const refresh = await oidc.tokenIntrospection(app, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
    expect(refresh).toMatchObject({
      active: true,
      sub: claims.sub,
      client_id: OFFLINE_APP.clientId,
      iss: stack.issuer,
      aud: OFFLINE_APP.clientId,
      token_type: 'refresh_token',
      sid: claims.sid,
    });
    expect(refresh.exp).toBeGreaterThan(access.exp!);

    // Foreign for another client, inactive after rotation, and garbage.
    expect(await introspect(stack.issuer, tokens.access_token, auth(OTHER_OFFLINE_APP))).toEqual({ active: false });
    expect(await introspect(stack.issuer, tokens.refresh_token!, auth(WEB_APP))).toEqual({ active: false });
    const rotated = (await (await refreshRequest(stack, OFFLINE_APP, tokens.refresh_token!)).json()) as { refresh_token: string };
    expect(await introspect(stack.issuer, tokens.refresh_token!, auth(OFFLINE_APP))).toEqual({ active: false });
    expect((await introspect(stack.issuer, rotated.refresh_token, auth(OFFLINE_APP))).active).toBe(true);
    expect(await introspect(stack.issuer, 'garbage', auth(OFFLINE_APP))).toEqual({ active: false });
    // An ID token is not an access token.
    expect(await introspect(stack.issuer, tokens.id_token!, auth(OFFLINE_APP))).toEqual({ active: false });
  });

  it.runIf(store === 'redis')('a configured resource server introspects any client’s tokens (Basic or client_secret_post)', async () => {
    // A second instance on the same Redis with resourceServers configured.
    const rsBridge: RunningServer = await startNodeServer({ config: { ...stack.config, resourceServers: [RESOURCE_SERVER] }, logger: silentLogger, port: 0 });
    try {
      const tokens = await signInOffline();
      const basic = await introspect(rsBridge.url, tokens.access_token, basicAuth(RESOURCE_SERVER.id, RESOURCE_SERVER.secret));
      expect(basic).toMatchObject({ active: true, client_id: OFFLINE_APP.clientId, token_type: 'Bearer' });
      const form = await post(rsBridge.url, '/introspect', {
        token: tokens.refresh_token,
        client_id: RESOURCE_SERVER.id,
        client_secret: RESOURCE_SERVER.secret,
      });
      expect(((await form.json()) as { active: boolean }).active).toBe(true);
      await expectJsonError(
        await post(rsBridge.url, '/introspect', { token: 'x' }, { authorization: basicAuth(RESOURCE_SERVER.id, 'wrong-secret-0123456789') }),
        401,
        'invalid_client',
      );

      // A disabled user's tokens are inactive; revoked ones too.
      const redis = openRedisStore(stack.keyPrefix);
      const { tokens: other } = await completeSignIn(stack, await stack.browser(`rs-${crypto.randomUUID()}`), OFFLINE_APP, { scope: OFFLINE_SCOPE });
      try {
        await redis.users.setDisabled(other.claims()!.sub, true);
      } finally {
        await redis.close();
      }
      expect(await introspect(rsBridge.url, other.access_token, basicAuth(RESOURCE_SERVER.id, RESOURCE_SERVER.secret))).toEqual({ active: false });
      await post(stack.issuer, '/revoke', { token: tokens.refresh_token }, { authorization: auth(OFFLINE_APP) });
      expect(await introspect(rsBridge.url, tokens.access_token, basicAuth(RESOURCE_SERVER.id, RESOURCE_SERVER.secret))).toEqual({ active: false });
    } finally {
      await rsBridge.close();
    }
  });

  it('discovery advertises exactly the endpoints, grants and scopes that exist', async () => {
    const metadata = (await (await fetch(`${stack.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      grant_types_supported: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      revocation_endpoint: `${stack.issuer}/revoke`,
      introspection_endpoint: `${stack.issuer}/introspect`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    });
    expect(metadata.scopes_supported).toContain('offline_access');
    for (const key of Object.keys(metadata).filter((k) => k.endsWith('_endpoint'))) {
      const response = await fetch(String(metadata[key]), { method: 'OPTIONS' });
      expect(response.status, key).not.toBe(404);
    }
  });
});
