/**
 * Bad input at POST /token (RFC 6749 §4.1.3, §5.2; RFC 7636 §4.6; DESIGN §6, §10), against the real server.
 * Every answer is JSON with `Cache-Control: no-store`; a refused attempt issues nothing, and — unless the refusal is
 * a reuse — leaves the code redeemable by its rightful client (a stolen code without the verifier cannot burn it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.ts';
import {
  basicAuth,
  expectJsonError,
  logEvents,
  obtainCode,
  pkcePair,
  redeemCode,
  tokenRequest,
  userinfoRequest,
  type AppClient,
} from '../helpers/app-client.ts';
import { SPA, startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

const webAuth = { headers: { authorization: basicAuth(WEB_APP.clientId, WEB_APP.clientSecret) } };

async function expectTokenError(response: Response, status: number, error: string): Promise<void> {
  expect(response.headers.get('cache-control')).toBe('no-store');
  await expectJsonError(response, status, error);
}

async function expectTokens(response: Response): Promise<{ access_token: string; id_token: string }> {
  const body = (await response.json()) as { access_token: string; id_token: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(body.access_token).toBeTruthy();
  expect(body.id_token).toBeTruthy();
  return body;
}

describe.each(['memory', 'redis'] as const)('/token rejects bad requests (%s store)', (store) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ store });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const codeFor = async (client: AppClient, options: { pkce?: boolean } = {}) => obtainCode(stack, await stack.browser('alice'), client, options);

  /** [case, how the refused request differs from the right one, expected status and error]. */
  const REFUSED_THEN_REDEEMABLE: [string, AppClient, (code: string, verifier: string) => Promise<Response>, number, string][] = [
    ['wrong code_verifier', WEB_APP, async (code) => redeemCode(stack, WEB_APP, code, (await pkcePair()).verifier), 400, 'invalid_grant'],
    ['missing code_verifier', WEB_APP, (code) => redeemCode(stack, WEB_APP, code, undefined), 400, 'invalid_grant'],
    ['malformed code_verifier (too short)', SPA, (code) => redeemCode(stack, SPA, code, 'short'), 400, 'invalid_grant'],
    [
      'wrong redirect_uri',
      WEB_APP,
      (code, verifier) => redeemCode(stack, WEB_APP, code, verifier, { redirect_uri: `${WEB_APP.redirectUri}/` }),
      400,
      'invalid_grant',
    ],
    ['missing redirect_uri', WEB_APP, (code, verifier) => redeemCode(stack, WEB_APP, code, verifier, { redirect_uri: undefined }), 400, 'invalid_grant'],
    [
      'code issued to another client (SPA code redeemed by web-app)',
      SPA,
      (code, verifier) => redeemCode(stack, WEB_APP, code, verifier, { redirect_uri: SPA.redirectUri }),
      400,
      'invalid_grant',
    ],
    [
      'wrong client secret (Basic) → 401 invalid_client',
      WEB_APP,
      (code, verifier) => redeemCode(stack, { ...WEB_APP, clientSecret: 'not-the-secret-0123456789' }, code, verifier),
      401,
      'invalid_client',
    ],
    [
      'wrong client secret (client_secret_post) → 401 invalid_client',
      WEB_APP,
      (code, verifier) =>
        tokenRequest(stack, {
          grant_type: 'authorization_code',
          code,
          redirect_uri: WEB_APP.redirectUri,
          code_verifier: verifier,
          client_id: WEB_APP.clientId,
          client_secret: 'wrong-secret-0123456789',
        }),
      401,
      'invalid_client',
    ],
    [
      'no client authentication for a confidential client',
      WEB_APP,
      (code, verifier) =>
        tokenRequest(stack, {
          grant_type: 'authorization_code',
          code,
          redirect_uri: WEB_APP.redirectUri,
          code_verifier: verifier,
          client_id: WEB_APP.clientId,
        }),
      401,
      'invalid_client',
    ],
    [
      'public client presenting a secret',
      SPA,
      (code, verifier) => redeemCode(stack, SPA, code, verifier, { client_secret: 'made-up-secret-0123456789' }),
      401,
      'invalid_client',
    ],
    [
      'both client_secret_basic and client_secret_post',
      WEB_APP,
      (code, verifier) =>
        tokenRequest(
          stack,
          {
            grant_type: 'authorization_code',
            code,
            redirect_uri: WEB_APP.redirectUri,
            code_verifier: verifier,
            client_id: WEB_APP.clientId,
            client_secret: WEB_APP.clientSecret,
          },
          webAuth,
        ),
      400,
      'invalid_request',
    ],
    [
      'Basic client and a different client_id in the body',
      WEB_APP,
      (code, verifier) => redeemCode(stack, WEB_APP, code, verifier, { client_id: SPA.clientId }),
      400,
      'invalid_request',
    ],
    [
      'malformed Basic credentials',
      WEB_APP,
      (code, verifier) =>
        tokenRequest(
          stack,
          { grant_type: 'authorization_code', code, redirect_uri: WEB_APP.redirectUri, code_verifier: verifier },
          { headers: { authorization: 'Basic %%%' } },
        ),
      401,
      'invalid_client',
    ],
    ['duplicate code parameter', WEB_APP, (code, verifier) => redeemCode(stack, WEB_APP, code, verifier, { code: [code, code] }), 400, 'invalid_request'],
    [
      'duplicate code_verifier parameter',
      WEB_APP,
      (code, verifier) => redeemCode(stack, WEB_APP, code, verifier, { code_verifier: [verifier, verifier] }),
      400,
      'invalid_request',
    ],
    [
      'grant_type=password (unsupported)',
      WEB_APP,
      (code, verifier) => redeemCode(stack, WEB_APP, code, verifier, { grant_type: 'password', username: 'alice', password: 'x' }),
      400,
      'unsupported_grant_type',
    ],
    ['missing grant_type', WEB_APP, (code, verifier) => redeemCode(stack, WEB_APP, code, verifier, { grant_type: undefined }), 400, 'invalid_request'],
    [
      'JSON body instead of a form',
      WEB_APP,
      (code, verifier) =>
        tokenRequest(
          stack,
          {},
          {
            ...webAuth,
            contentType: 'application/json',
            body: JSON.stringify({ grant_type: 'authorization_code', code, redirect_uri: WEB_APP.redirectUri, code_verifier: verifier }),
          },
        ),
      400,
      'invalid_request',
    ],
  ];

  it.each(REFUSED_THEN_REDEEMABLE)('%s → refused; the code stays redeemable', async (_name, client, refused, status, error) => {
    const { code, verifier } = await codeFor(client);
    await expectTokenError(await refused(code, verifier), status, error);
    await expectTokens(await redeemCode(stack, client, code, verifier));
  });

  it('invalid_client answers carry WWW-Authenticate', async () => {
    const { code, verifier } = await codeFor(WEB_APP);
    const response = await redeemCode(stack, { ...WEB_APP, clientSecret: 'not-the-secret-0123456789' }, code, verifier);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
    await expectTokenError(response, 401, 'invalid_client');
  });

  it('code_verifier for a code issued without code_challenge → invalid_grant; the code stays redeemable without one', async () => {
    const { code } = await codeFor(WEB_APP, { pkce: false });
    await expectTokenError(await redeemCode(stack, WEB_APP, code, (await pkcePair()).verifier), 400, 'invalid_grant');
    await expectTokens(await redeemCode(stack, WEB_APP, code, undefined));
  });

  it('code reuse → invalid_grant, and the tokens of the first redemption are revoked', async () => {
    const { code, verifier } = await codeFor(WEB_APP);
    const first = await expectTokens(await redeemCode(stack, WEB_APP, code, verifier));
    expect((await userinfoRequest(stack, first.access_token)).status).toBe(200);

    await expectTokenError(await redeemCode(stack, WEB_APP, code, verifier), 400, 'invalid_grant');
    const userinfo = await userinfoRequest(stack, first.access_token);
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(logEvents(stack, 'code.reused').length).toBeGreaterThan(0);
  });

  it.each([
    ['unknown client_id (public style)', { client_id: 'no-such-app' }, {}],
    ['unknown client_id (Basic)', {}, { headers: { authorization: basicAuth('no-such-app', 'whatever-secret-0123') } }],
  ])('%s → 401 invalid_client', async (_name, extra, init) => {
    const { code, verifier } = await codeFor(WEB_APP);
    const response = await tokenRequest(
      stack,
      { grant_type: 'authorization_code', code, redirect_uri: WEB_APP.redirectUri, code_verifier: verifier, ...extra },
      init,
    );
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
    await expectTokenError(response, 401, 'invalid_client');
    await expectTokens(await redeemCode(stack, WEB_APP, code, verifier));
  });

  it.each([
    ['garbage code', 'not-a-code'],
    ['well-formed but unknown code', 'F'.repeat(43)],
  ])('%s → invalid_grant', async (_name, code) => {
    await expectTokenError(await redeemCode(stack, WEB_APP, code, (await pkcePair()).verifier), 400, 'invalid_grant');
  });

  it('missing code → invalid_request', async () => {
    const response = await tokenRequest(
      stack,
      { grant_type: 'authorization_code', redirect_uri: WEB_APP.redirectUri, code_verifier: (await pkcePair()).verifier },
      webAuth,
    );
    await expectTokenError(response, 400, 'invalid_request');
  });

  it('GET /token → 405 with Allow: POST', async () => {
    const response = await fetch(`${stack.issuer}/token?grant_type=authorization_code&code=x`, { headers: webAuth.headers });
    expect(response.headers.get('allow')).toBe('POST');
    await expectTokenError(response, 405, 'invalid_request');
  });

  it('oversized body → 413, nothing read', async () => {
    const { code, verifier } = await codeFor(WEB_APP);
    const response = await redeemCode(stack, WEB_APP, code, verifier, { padding: 'x'.repeat(70 * 1024) });
    await expectTokenError(response, 413, 'invalid_request');
    await expectTokens(await redeemCode(stack, WEB_APP, code, verifier));
  });
});

describe.each(['memory', 'redis'] as const)('/token: expired code (%s store, manual clock)', (store) => {
  // The bridge checks issue times against its own (here: manual) clock, whatever the store's TTL timer does.
  const clock = createManualClock();
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ store, clock });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a code redeemed after its 60 s lifetime → invalid_grant', async () => {
    const { code, verifier } = await obtainCode(stack, await stack.browser('alice'), WEB_APP);
    clock.advance(61_000);
    await expectTokenError(await redeemCode(stack, WEB_APP, code, verifier), 400, 'invalid_grant');
  });

  it('a code redeemed just within its lifetime is accepted (control)', async () => {
    const { code, verifier } = await obtainCode(stack, await stack.browser('alice'), WEB_APP);
    clock.advance(59_000);
    await expectTokens(await redeemCode(stack, WEB_APP, code, verifier));
  });
});
