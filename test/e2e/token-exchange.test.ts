/**
 * Token exchange (RFC 8693) of a legacy JWT for bridge tokens, against the real server on memory and real Redis:
 * openid-client v6 `genericGrantRequest` as a back-end service uses it, plus raw requests for every refusal.
 * The ID-JAG path is in id-jag.test.ts.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDP_SCOPE, expectJsonError, logEvents, userinfoRequest } from '../helpers/app-client.ts';
import { generateTestKey } from '../helpers/legacy-issuer.ts';
import { openRedisStore, SPA, startStack, WEB_APP, type Stack } from '../helpers/stack.ts';
import { refreshRequest } from './refresh-clients.ts';
import {
  EXCHANGE_APP,
  LEGACY_ONLY_APP,
  REPLAYABLE_APP,
  TOKEN_EXCHANGE,
  TOKEN_TYPE,
  exchangeClients,
  exchangeRequest,
  exchangeWithOpenIdClient,
  OPS_ONLY_APP,
} from './token-exchange-clients.ts';

describe.each(['memory', 'redis'] as const)('token exchange: legacy JWT → bridge tokens (%s store)', (store) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ store, clients: exchangeClients('https://resource-as.example.com') });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const legacyJwt = (sub: string, claims: Record<string, unknown> = {}) => stack.legacy.mint({ sub, email: `${sub}@example.com`, ...claims });
  const refusals = () => logEvents(stack, 'token.exchange_refused').map((event) => event.reason);

  it('discovery advertises the grant (some client has a policy)', async () => {
    const discovery = (await (await fetch(`${stack.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.grant_types_supported).toContain(TOKEN_EXCHANGE);
    expect(discovery.identity_chaining_requested_token_types_supported).toEqual([TOKEN_TYPE.idJag]);
  });

  it('openid-client genericGrantRequest: access token + ID token, issued_token_type, no refresh token without offline_access', async () => {
    const response = await exchangeWithOpenIdClient(stack, EXCHANGE_APP, {
      subject_token: await legacyJwt('svc-alice', { amr: ['pwd'] }),
      subject_token_type: TOKEN_TYPE.jwt,
      scope: `openid email ${IDP_SCOPE}`,
    });
    expect(response.issued_token_type).toBe(TOKEN_TYPE.accessToken);
    expect(response.token_type).toBe('bearer');
    expect(response.refresh_token).toBeUndefined();
    expect(response.scope).toBe('openid email');
    const idClaims = response.claims()!;
    expect(idClaims).toMatchObject({ iss: stack.issuer, aud: EXCHANGE_APP.clientId, email: 'svc-alice@example.com', amr: ['pwd'] });
    expect(idClaims.sub).not.toBe('svc-alice'); // the bridge user id, never the legacy subject
    expect(decodeJwt(response.access_token)).toMatchObject({ sub: idClaims.sub, client_id: EXCHANGE_APP.clientId, scope: 'openid email' });
    const userinfo = await userinfoRequest(stack, response.access_token);
    expect(await userinfo.json()).toEqual({ sub: idClaims.sub, email: 'svc-alice@example.com' });
    const [event] = logEvents(stack, 'token.exchanged').filter((e) => e.userId === idClaims.sub);
    expect(event).toMatchObject({ subjectTokenType: 'jwt', idp: 'legacy', clientId: EXCHANGE_APP.clientId, registered: true });
  });

  it('the same user as a browser login of the same legacy subject; no ID token without openid', async () => {
    const first = await exchangeWithOpenIdClient(stack, EXCHANGE_APP, {
      subject_token: await legacyJwt('svc-bob'),
      subject_token_type: TOKEN_TYPE.jwt,
      scope: 'openid',
    });
    const second = await exchangeRequest(stack, EXCHANGE_APP, { subject_token: await legacyJwt('svc-bob'), subject_token_type: TOKEN_TYPE.jwt });
    const body = (await second.json()) as Record<string, unknown>;
    expect(second.status, JSON.stringify(body)).toBe(200);
    expect(second.headers.get('cache-control')).toBe('no-store');
    expect(body).not.toHaveProperty('id_token');
    expect(body).not.toHaveProperty('scope');
    expect(decodeJwt(String(body.access_token)).sub).toBe(first.claims()!.sub);
  });

  it('a refresh token only when the policy allows it (and offline_access, and the refresh_token grant)', async () => {
    const allowed = await exchangeWithOpenIdClient(stack, EXCHANGE_APP, {
      subject_token: await legacyJwt('svc-carol'),
      subject_token_type: TOKEN_TYPE.jwt,
      scope: 'openid offline_access',
    });
    expect(allowed.refresh_token).toBeTruthy();
    expect((await refreshRequest(stack, EXCHANGE_APP, allowed.refresh_token)).status).toBe(200);

    const denied = await exchangeWithOpenIdClient(stack, LEGACY_ONLY_APP, {
      subject_token: await legacyJwt('svc-carol'),
      subject_token_type: TOKEN_TYPE.jwt,
      scope: 'openid offline_access',
    });
    expect(denied.refresh_token).toBeUndefined();
    expect(denied.scope).toBe('openid');
  });

  it('the legacy verifier decides, with its own reason codes → invalid_grant', async () => {
    const now = Math.floor(Date.now() / 1000);
    const stranger = await stack.legacy.mint({ sub: 'x' }, { key: await generateTestKey('ES256', { kid: stack.legacy.key.kid }) });
    const cases: [string, string][] = [
      [await legacyJwt('svc-dave', { iat: now - 900, exp: now - 600 }), 'expired'],
      [await legacyJwt('svc-dave', { iss: 'https://elsewhere.example.com' }), 'issuer_mismatch'],
      [stranger, 'signature_invalid'],
      ['not-a-jwt', 'token_malformed'],
      [await legacyJwt('svc-dave', { exp: undefined }), 'token_malformed'],
    ];
    for (const [token, reason] of cases) {
      const response = await exchangeRequest(stack, EXCHANGE_APP, { subject_token: token, subject_token_type: TOKEN_TYPE.jwt });
      await expectJsonError(response, 400, 'invalid_grant');
      expect(refusals().at(-1), reason).toBe(reason);
    }
  });

  it('a legacy JWT with a jti is exchanged once; concurrent replays: exactly one wins; replay protection can be switched off', async () => {
    const token = await legacyJwt('svc-erin', { jti: crypto.randomUUID() });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => exchangeRequest(stack, LEGACY_ONLY_APP, { subject_token: token, subject_token_type: TOKEN_TYPE.jwt })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400]);
    for (const refused of results.filter((r) => r.status === 400)) await expectJsonError(refused, 400, 'invalid_grant');
    expect(refusals().filter((r) => r === 'legacy_jwt_replayed')).toHaveLength(4);

    const replayable = await legacyJwt('svc-erin', { jti: crypto.randomUUID() });
    for (let i = 0; i < 2; i++) {
      expect((await exchangeRequest(stack, REPLAYABLE_APP, { subject_token: replayable, subject_token_type: TOKEN_TYPE.jwt })).status).toBe(200);
    }
    // No jti: nothing to remember, accepted again.
    const plain = await legacyJwt('svc-erin');
    for (let i = 0; i < 2; i++)
      expect((await exchangeRequest(stack, LEGACY_ONLY_APP, { subject_token: plain, subject_token_type: TOKEN_TYPE.jwt })).status).toBe(200);
  });

  it.runIf(store === 'redis')('the replay mark is stored hashed, with a TTL', async () => {
    const jti = `jti-${crypto.randomUUID()}`;
    expect(
      (await exchangeRequest(stack, LEGACY_ONLY_APP, { subject_token: await legacyJwt('svc-frank', { jti }), subject_token_type: TOKEN_TYPE.jwt })).status,
    ).toBe(200);
    const redis = openRedisStore(stack.keyPrefix);
    try {
      const keys = await redis.store.list('exchange-jti:');
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.join(' ')).not.toContain(jti);
    } finally {
      await redis.close();
    }
  });

  it.runIf(store === 'redis')('a disabled user → invalid_grant (user_disabled)', async () => {
    const first = await exchangeWithOpenIdClient(stack, EXCHANGE_APP, {
      subject_token: await legacyJwt('svc-gina'),
      subject_token_type: TOKEN_TYPE.jwt,
      scope: 'openid',
    });
    const redis = openRedisStore(stack.keyPrefix);
    try {
      await redis.users.setDisabled(first.claims()!.sub, true);
    } finally {
      await redis.close();
    }
    await expectJsonError(
      await exchangeRequest(stack, EXCHANGE_APP, { subject_token: await legacyJwt('svc-gina'), subject_token_type: TOKEN_TYPE.jwt }),
      400,
      'invalid_grant',
    );
    expect(refusals().at(-1)).toBe('user_disabled');
  });

  it("the client's access policy applies: a user outside its group → access_denied (client_policy_denied)", async () => {
    const outsider = await exchangeRequest(stack, OPS_ONLY_APP, {
      subject_token: await legacyJwt('svc-olga', { groups: ['dev'] }),
      subject_token_type: TOKEN_TYPE.jwt,
    });
    await expectJsonError(outsider, 400, 'access_denied');
    expect(logEvents(stack, 'access.denied').at(-1)).toMatchObject({ reason: 'client_policy_denied', at: 'token' });
    const member = await exchangeRequest(stack, OPS_ONLY_APP, {
      subject_token: await legacyJwt('svc-oscar', { groups: ['dev', 'ops-admins'] }),
      subject_token_type: TOKEN_TYPE.jwt,
    });
    expect(member.status).toBe(200);
  });

  it('default deny: no policy, a public client, or a policy without this path → unauthorized_client', async () => {
    const form = { subject_token: await legacyJwt('svc-hank'), subject_token_type: TOKEN_TYPE.jwt };
    await expectJsonError(await exchangeRequest(stack, WEB_APP, form), 400, 'unauthorized_client');
    expect(refusals().at(-1)).toBe('token_exchange_not_allowed');
    await expectJsonError(await exchangeRequest(stack, SPA, form), 400, 'unauthorized_client');
    expect(refusals().at(-1)).toBe('public_client_not_allowed');
    const otherApp = exchangeClients('x')[1]!;
    await expectJsonError(
      await exchangeRequest(stack, { clientId: String(otherApp.clientId), clientSecret: String(otherApp.clientSecret) }, form),
      400,
      'unauthorized_client',
    );
    // A wrong secret is still invalid_client, before any policy is looked at.
    await expectJsonError(
      await exchangeRequest(stack, { clientId: EXCHANGE_APP.clientId, clientSecret: 'wrong-secret-0123456789' }, form),
      401,
      'invalid_client',
    );
  });

  it('malformed and unsupported requests → invalid_request / invalid_scope / invalid_target, never a 500', async () => {
    const token = await legacyJwt('svc-ida');
    const cases: [Record<string, string | string[] | undefined>, number, string, string][] = [
      [{ subject_token_type: TOKEN_TYPE.jwt }, 400, 'invalid_request', 'missing_parameter'],
      [{ subject_token: token }, 400, 'invalid_request', 'missing_parameter'],
      [{ subject_token: token, subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' }, 400, 'invalid_request', 'subject_token_type_unsupported'],
      [
        { subject_token: token, subject_token_type: TOKEN_TYPE.jwt, requested_token_type: TOKEN_TYPE.idToken },
        400,
        'invalid_request',
        'requested_token_type_unsupported',
      ],
      [{ subject_token: token, subject_token_type: TOKEN_TYPE.idToken }, 400, 'invalid_request', 'requested_token_type_unsupported'],
      [
        { subject_token: token, subject_token_type: TOKEN_TYPE.jwt, actor_token: token, actor_token_type: TOKEN_TYPE.jwt },
        400,
        'invalid_request',
        'actor_token_unsupported',
      ],
      [{ subject_token: [token, token], subject_token_type: TOKEN_TYPE.jwt }, 400, 'invalid_request', 'duplicate_parameter'],
      [{ subject_token: 'a'.repeat(9000), subject_token_type: TOKEN_TYPE.jwt }, 400, 'invalid_request', 'parameter_too_long'],
      [{ subject_token: token, subject_token_type: TOKEN_TYPE.jwt, scope: 'openid urn:zitadel:iam:org:idp:id:other' }, 400, 'invalid_scope', 'idp_not_allowed'],
      [
        { subject_token: token, subject_token_type: TOKEN_TYPE.jwt, scope: `${IDP_SCOPE} urn:zitadel:iam:org:idp:id:x` },
        400,
        'invalid_scope',
        'idp_scope_ambiguous',
      ],
      [{ subject_token: token, subject_token_type: TOKEN_TYPE.jwt, audience: 'https://api.example.com' }, 400, 'invalid_target', 'target_not_allowed'],
    ];
    for (const [form, status, error] of cases) {
      await expectJsonError(await exchangeRequest(stack, EXCHANGE_APP, form), status, error);
    }
    // The access token's own audience (the issuer here) is an accepted `audience`.
    expect((await exchangeRequest(stack, EXCHANGE_APP, { subject_token: token, subject_token_type: TOKEN_TYPE.jwt, audience: stack.issuer })).status).toBe(200);
    expect(logEvents(stack, 'request.failed')).toEqual([]);
  });

  it('openid-client surfaces the refusal as a ResponseBodyError; no legacy JWT ever reaches a log', async () => {
    const token = await legacyJwt('svc-jo', { exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 4000 });
    await expect(exchangeWithOpenIdClient(stack, EXCHANGE_APP, { subject_token: token, subject_token_type: TOKEN_TYPE.jwt })).rejects.toMatchObject({
      name: 'ResponseBodyError',
      error: 'invalid_grant',
      status: 400,
    });
    const logs = stack.logs.join('\n');
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(token.split('.')[2]!);
  });
});
