/**
 * Bridge ID token → ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant-04) by token exchange, against the real
 * server on memory and real Redis, and the whole cross-app path: the ID-JAG redeemed at a small receiving
 * authorization server (RFC 7523 jwt-bearer grant, test/helpers/resource-as.ts) with oauth4webapi; the receiving
 * side's CLI check (`token verify --id-jag`).
 */
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIdJagVerify } from '../../src/cli/id-jag-verify.ts';
import { runCli } from '../../src/cli/main.ts';
import { createManualClock } from '../../src/clock.ts';
import { basicAuth, completeSignIn, encodeParams, expectJsonError, logEvents } from '../helpers/app-client.ts';
import { JWT_BEARER_GRANT, startResourceAs, type ResourceAs } from '../helpers/resource-as.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import {
  EXCHANGE_APP,
  LEGACY_ONLY_APP,
  OTHER_AUDIENCE,
  OTHER_EXCHANGE_APP,
  TOKEN_EXCHANGE,
  TOKEN_TYPE,
  exchangeClients,
  exchangeRequest,
  exchangeWithOpenIdClient,
} from './token-exchange-clients.ts';

/** The resource AS's own registrations: the same client ids, its own secrets. */
const RAS_CLIENTS = { [EXCHANGE_APP.clientId]: 'ras-secret-exchange-app', [OTHER_EXCHANGE_APP.clientId]: 'ras-secret-other-app' };

describe.each(['memory', 'redis'] as const)('token exchange: bridge ID token → ID-JAG (%s store)', (store) => {
  let stack: Stack;
  let ras: ResourceAs;
  beforeAll(async () => {
    ras = await startResourceAs(RAS_CLIENTS);
    stack = await startStack({ store, clients: exchangeClients(ras.url) });
    ras.trust(stack.issuer);
  });
  afterAll(async () => {
    await stack?.close();
    await ras?.close();
  });

  const refusals = () => logEvents(stack, 'token.exchange_refused').map((event) => event.reason);
  /** An ID token of `client` for a fresh user, by legacy JWT exchange (a service's own sign-in). */
  const idTokenFor = async (client = EXCHANGE_APP, sub = `user-${crypto.randomUUID().slice(0, 8)}`) => {
    if (client === OTHER_EXCHANGE_APP) {
      // That client may not exchange legacy JWTs: its ID token comes from a browser sign-in.
      const { tokens, claims } = await completeSignIn(stack, await stack.browser(sub), client);
      return { idToken: tokens.id_token!, accessToken: tokens.access_token, sub: claims.sub };
    }
    const response = await exchangeWithOpenIdClient(stack, client, {
      subject_token: await stack.legacy.mint({ sub, email: `${sub}@example.com`, amr: ['pwd', 'otp'] }),
      subject_token_type: TOKEN_TYPE.jwt,
      scope: 'openid email',
    });
    return { idToken: response.id_token!, accessToken: response.access_token, sub: response.claims()!.sub };
  };
  const idJagRequest = (client: typeof EXCHANGE_APP, idToken: string, extra: Record<string, string | undefined> = {}) =>
    exchangeRequest(stack, client, {
      requested_token_type: TOKEN_TYPE.idJag,
      subject_token: idToken,
      subject_token_type: TOKEN_TYPE.idToken,
      audience: ras.url,
      ...extra,
    });
  /** oauth4webapi, as the app redeems the ID-JAG at the resource AS. */
  const redeemAtRas = async (client: string, assertion: string) => {
    const as = { issuer: ras.url, token_endpoint: `${ras.url}/token` };
    const response = await oauth.genericTokenEndpointRequest(
      as,
      { client_id: client },
      oauth.ClientSecretBasic(RAS_CLIENTS[client]!),
      JWT_BEARER_GRANT,
      { assertion },
      { [oauth.allowInsecureRequests]: true },
    );
    return oauth.processGenericTokenEndpointResponse(as, { client_id: client }, response);
  };

  it('a browser sign-in ID token → ID-JAG: header and claims as the draft says, verified with jose against /jwks', async () => {
    const { tokens, claims } = await completeSignIn(stack, await stack.browser('alice', { email: 'alice@example.com', amr: ['pwd'] }), EXCHANGE_APP);
    const response = await exchangeWithOpenIdClient(stack, EXCHANGE_APP, {
      requested_token_type: TOKEN_TYPE.idJag,
      subject_token: tokens.id_token!,
      subject_token_type: TOKEN_TYPE.idToken,
      audience: ras.url,
      resource: 'https://api.todo.example.com/',
      scope: 'todos.read todos.write',
    });
    expect(response.issued_token_type).toBe(TOKEN_TYPE.idJag);
    expect(response.token_type).toBe('n_a'); // openid-client lower-cases token_type
    expect(response.expires_in).toBe(300);
    expect(response.refresh_token).toBeUndefined();
    expect(response.scope).toBeUndefined(); // not narrowed

    const idJag = response.access_token;
    const header = decodeProtectedHeader(idJag);
    const jwks = (await (await fetch(`${stack.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(header.typ).toBe('oauth-id-jag+jwt');
    expect(jwks.keys[0]!.kid).toBe(header.kid); // the active key
    const { payload } = await jwtVerify(idJag, createRemoteJWKSet(new URL(`${stack.issuer}/jwks`)), {
      issuer: stack.issuer,
      audience: ras.url,
      typ: 'oauth-id-jag+jwt',
      algorithms: ['RS256'],
    });
    expect(payload).toMatchObject({
      sub: claims.sub,
      client_id: EXCHANGE_APP.clientId,
      resource: 'https://api.todo.example.com/',
      scope: 'todos.read todos.write',
      auth_time: claims.auth_time,
      amr: ['pwd'],
      email: 'alice@example.com',
    });
    expect(payload.jti).toMatch(/^[0-9a-f]{32}$/);
    expect(payload.exp! - payload.iat!).toBe(300);
    const [event] = logEvents(stack, 'token.exchanged').filter((e) => e.subjectTokenType === 'id_token' && e.userId === claims.sub);
    expect(event).toMatchObject({ audience: ras.url, clientId: EXCHANGE_APP.clientId, issuedTokenType: 'id-jag' });
  });

  it('cross-app end to end: the resource AS accepts the ID-JAG once (jwt-bearer), and refuses the wrong aud or client_id', async () => {
    const { idToken, sub } = await idTokenFor();
    // oauth4webapi at the bridge, as the app obtains the ID-JAG.
    const bridge = await oauth.processDiscoveryResponse(
      new URL(stack.issuer),
      await oauth.discoveryRequest(new URL(stack.issuer), { [oauth.allowInsecureRequests]: true }),
    );
    const exchanged = await oauth.genericTokenEndpointRequest(
      bridge,
      { client_id: EXCHANGE_APP.clientId },
      oauth.ClientSecretBasic(EXCHANGE_APP.clientSecret),
      TOKEN_EXCHANGE,
      { requested_token_type: TOKEN_TYPE.idJag, subject_token: idToken, subject_token_type: TOKEN_TYPE.idToken, audience: ras.url, scope: 'todos.read' },
      { [oauth.allowInsecureRequests]: true },
    );
    // RFC 8693 §2.2.1: token_type N_A, for a token that is not an access token; oauth4webapi must be told it is expected.
    const body = await oauth.processGenericTokenEndpointResponse(bridge, { client_id: EXCHANGE_APP.clientId }, exchanged, {
      recognizedTokenTypes: { n_a: () => undefined },
    });
    expect(body.issued_token_type).toBe(TOKEN_TYPE.idJag);

    const granted = await redeemAtRas(EXCHANGE_APP.clientId, body.access_token);
    expect(granted.token_type).toBe('bearer');
    expect(ras.issued.find((t) => t.accessToken === granted.access_token)).toEqual({
      accessToken: granted.access_token,
      sub,
      clientId: EXCHANGE_APP.clientId,
      scope: 'todos.read',
    });
    // An assertion is for one use at the receiver.
    await expect(redeemAtRas(EXCHANGE_APP.clientId, body.access_token)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(ras.refusals.at(-1)).toBe('jti replayed');

    // Issued for another authorization server: this one refuses it.
    const elsewhere = (await (await idJagRequest(EXCHANGE_APP, idToken, { audience: OTHER_AUDIENCE })).json()) as { access_token: string };
    expect(decodeJwt(elsewhere.access_token).aud).toBe(OTHER_AUDIENCE);
    await expect(redeemAtRas(EXCHANGE_APP.clientId, elsewhere.access_token)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(ras.refusals.at(-1)).toBe('claim aud');

    // Issued to another client: presenting it as exchange-app is refused.
    const other = await idTokenFor(OTHER_EXCHANGE_APP);
    const foreign = (await (await idJagRequest(OTHER_EXCHANGE_APP, other.idToken)).json()) as { access_token: string; expires_in: number };
    expect(foreign.expires_in).toBe(60); // that client's lifetimeSeconds
    await expect(redeemAtRas(EXCHANGE_APP.clientId, foreign.access_token)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(ras.refusals.at(-1)).toBe('client_id');
    // ...while its own client redeems it.
    expect((await redeemAtRas(OTHER_EXCHANGE_APP.clientId, foreign.access_token)).access_token).toBeTruthy();
  });

  it('a bridge ID token is not an ID-JAG, nor an access token: the resource AS refuses both (typ)', async () => {
    const { idToken, accessToken } = await idTokenFor();
    for (const token of [idToken, accessToken]) {
      await expect(redeemAtRas(EXCHANGE_APP.clientId, token)).rejects.toMatchObject({ error: 'invalid_grant' });
    }
  });

  it('scope is intersected with the policy; a narrowed scope is returned; none allowed → invalid_scope', async () => {
    const { idToken } = await idTokenFor();
    const narrowed = await idJagRequest(EXCHANGE_APP, idToken, { scope: 'todos.read admin.all' });
    const body = (await narrowed.json()) as { scope: string; access_token: string };
    expect(narrowed.status).toBe(200);
    expect(body.scope).toBe('todos.read');
    expect(decodeJwt(body.access_token).scope).toBe('todos.read');

    const none = (await (await idJagRequest(EXCHANGE_APP, idToken)).json()) as { access_token: string; scope?: string };
    expect(none.scope).toBeUndefined();
    expect(decodeJwt(none.access_token).scope).toBeUndefined();

    await expectJsonError(await idJagRequest(EXCHANGE_APP, idToken, { scope: 'admin.all' }), 400, 'invalid_scope');
    expect(refusals().at(-1)).toBe('scope_not_allowed');
  });

  it("another client's ID token, an access token, a forged or garbage token → invalid_grant", async () => {
    const other = await idTokenFor(OTHER_EXCHANGE_APP);
    await expectJsonError(await idJagRequest(EXCHANGE_APP, other.idToken), 400, 'invalid_grant');
    expect(refusals().at(-1)).toBe('subject_token_client_mismatch');

    const own = await idTokenFor();
    await expectJsonError(await idJagRequest(EXCHANGE_APP, own.accessToken), 400, 'invalid_grant');
    expect(refusals().at(-1)).toBe('subject_token_invalid');
    // Signed by the legacy issuer, not by the bridge.
    const forged = await stack.legacy.mint({ iss: stack.issuer, sub: own.sub, aud: EXCHANGE_APP.clientId, sid: 'x' });
    await expectJsonError(await idJagRequest(EXCHANGE_APP, forged), 400, 'invalid_grant');
    // An ID-JAG is not an ID token either.
    const idJag = ((await (await idJagRequest(EXCHANGE_APP, own.idToken)).json()) as { access_token: string }).access_token;
    await expectJsonError(await idJagRequest(EXCHANGE_APP, idJag), 400, 'invalid_grant');
    await expectJsonError(await idJagRequest(EXCHANGE_APP, 'garbage'), 400, 'invalid_grant');
    expect(logEvents(stack, 'request.failed')).toEqual([]);
  });

  it('a revoked grant (/revoke) or an ended session (logout) → invalid_grant', async () => {
    const revoked = await idTokenFor();
    expect((await idJagRequest(EXCHANGE_APP, revoked.idToken)).status).toBe(200);
    const revoke = await fetch(`${stack.issuer}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(EXCHANGE_APP.clientId, EXCHANGE_APP.clientSecret) },
      body: encodeParams({ token: revoked.accessToken, token_type_hint: 'access_token' }),
    });
    expect(revoke.status).toBe(200);
    await expectJsonError(await idJagRequest(EXCHANGE_APP, revoked.idToken), 400, 'invalid_grant');
    expect(refusals().at(-1)).toBe('subject_token_revoked');

    const loggedOut = await idTokenFor();
    const logout = await fetch(`${stack.issuer}/end_session?${encodeParams({ id_token_hint: loggedOut.idToken })}`, { redirect: 'manual' });
    expect(logout.status).toBeLessThan(400);
    await expectJsonError(await idJagRequest(EXCHANGE_APP, loggedOut.idToken), 400, 'invalid_grant');
    expect(refusals().at(-1)).toBe('subject_token_revoked');
  });

  it('audience required and allowed (invalid_target), resource an absolute URI, only ID tokens, default deny', async () => {
    const { idToken } = await idTokenFor();
    await expectJsonError(await idJagRequest(EXCHANGE_APP, idToken, { audience: undefined }), 400, 'invalid_request');
    await expectJsonError(await idJagRequest(EXCHANGE_APP, idToken, { audience: 'https://evil.example.com' }), 400, 'invalid_target');
    expect(refusals().at(-1)).toBe('target_not_allowed');
    await expectJsonError(await idJagRequest(EXCHANGE_APP, idToken, { resource: 'not a uri' }), 400, 'invalid_target');
    await expectJsonError(await idJagRequest(EXCHANGE_APP, idToken, { resource: 'https://api.example.com/#frag' }), 400, 'invalid_target');
    await expectJsonError(await idJagRequest(EXCHANGE_APP, idToken, { subject_token_type: TOKEN_TYPE.jwt }), 400, 'invalid_request');
    expect(refusals().at(-1)).toBe('subject_token_type_unsupported');
    // A policy without idJag: this client may exchange legacy JWTs, not obtain ID-JAGs.
    await expectJsonError(await idJagRequest(LEGACY_ONLY_APP, idToken), 400, 'unauthorized_client');
    expect(refusals().at(-1)).toBe('token_exchange_not_allowed');
  });

  it('token verify --id-jag: the receiving side checks each step; exit 0 accepted, 1 rejected, 2 usage', async () => {
    const { idToken } = await idTokenFor();
    const idJag = ((await (await idJagRequest(EXCHANGE_APP, idToken, { scope: 'todos.read' })).json()) as { access_token: string }).access_token;
    const run = async (...args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(['token', 'verify', '--id-jag', ...args], {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
        readStdin: async () => idJag,
        env: {},
      });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    const good = await run('--issuer', stack.issuer, '--audience', ras.url, '--client-id', EXCHANGE_APP.clientId, '-');
    expect(good.code, good.out).toBe(0);
    for (const check of ['typ', 'alg', 'keys', 'signature', 'iss', 'aud', 'client_id', 'exp']) expect(good.out).toMatch(new RegExp(`PASS  ${check}\\b`));
    expect(good.out).toMatch(/RESULT {2}accepted/);
    expect(good.out).not.toContain(idJag);

    const wrongAud = await run('--issuer', stack.issuer, '--audience', OTHER_AUDIENCE, idJag);
    expect(wrongAud.code).toBe(1);
    expect(wrongAud.out).toMatch(/FAIL {2}aud/);
    expect(wrongAud.out).toMatch(/rejected: audience_mismatch/);
    const wrongClient = await run('--issuer', stack.issuer, '--audience', ras.url, '--client-id', 'someone-else', idJag);
    expect(wrongClient.out).toMatch(/rejected: client_id_mismatch/);
    expect(wrongClient.code).toBe(1);
    const notIdJag = await run('--issuer', stack.issuer, '--audience', ras.url, idToken);
    expect(notIdJag.out).toMatch(/rejected: type_not_allowed/);
    const viaJwks = await run('--issuer', stack.issuer, '--jwks', `${stack.issuer}/jwks`, '--audience', ras.url, idJag);
    expect(viaJwks.code).toBe(0);
    expect((await run('--audience', ras.url, idJag)).code).toBe(2);

    // Past its exp (300 s + the 30 s tolerance) by the receiver's clock.
    const out: string[] = [];
    const later = createManualClock(Date.now() + 331_000);
    expect(await runIdJagVerify({ token: idJag, issuer: stack.issuer, audience: ras.url, clock: later, out: (l) => out.push(l) })).toBe(1);
    expect(out.join('\n')).toMatch(/FAIL {2}exp .*\n.*rejected: expired/);
  });
});

describe('token exchange: an expired ID token is not exchanged (bridge clock)', () => {
  it('ID token past exp beyond the 5 s tolerance → invalid_grant (subject_token_invalid)', async () => {
    const clock = createManualClock();
    const stack = await startStack({ clock, clients: exchangeClients('https://as.example.com') });
    try {
      const response = await exchangeRequest(stack, EXCHANGE_APP, {
        subject_token: await stack.legacy.mint({ sub: 'late' }),
        subject_token_type: TOKEN_TYPE.jwt,
        scope: 'openid',
      });
      const { id_token: idToken } = (await response.json()) as { id_token: string };
      const form = {
        requested_token_type: TOKEN_TYPE.idJag,
        subject_token: idToken,
        subject_token_type: TOKEN_TYPE.idToken,
        audience: 'https://as.example.com',
      };
      clock.advance(300_000 + 4_000); // within the tolerance
      expect((await exchangeRequest(stack, EXCHANGE_APP, form)).status).toBe(200);
      clock.advance(2_000);
      await expectJsonError(await exchangeRequest(stack, EXCHANGE_APP, form), 400, 'invalid_grant');
      expect(logEvents(stack, 'token.exchange_refused').map((e) => e.reason)).toEqual(['subject_token_invalid']);
    } finally {
      await stack.close();
    }
  });
});

describe('discovery without token exchange policies', () => {
  it('advertises neither the grant nor identity chaining', async () => {
    const stack = await startStack();
    try {
      const discovery = (await (await fetch(`${stack.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(discovery.grant_types_supported).not.toContain(TOKEN_EXCHANGE);
      expect(discovery).not.toHaveProperty('identity_chaining_requested_token_types_supported');
    } finally {
      await stack.close();
    }
  });
});
