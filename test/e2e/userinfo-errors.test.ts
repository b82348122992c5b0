/**
 * Bad bearer tokens at /userinfo (OIDC Core §5.3, RFC 6750 §3, RFC 9068), against the real server: 401 with a
 * `WWW-Authenticate: Bearer` challenge — bare when no token was sent, `error="invalid_token"` otherwise.
 */
import { decodeJwt, decodeProtectedHeader, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.ts';
import { generateSigningJwk } from '../../src/keys/signing-keys.ts';
import { obtainCode, redeemCode, userinfoRequest } from '../helpers/app-client.ts';
import { craftToken, generateTestKey } from '../helpers/legacy-issuer.ts';
import { startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

async function expectInvalidToken(response: Response): Promise<void> {
  const body = (await response.json()) as Record<string, unknown>;
  expect(response.status, JSON.stringify(body)).toBe(401);
  expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
  expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(body.error).toBe('invalid_token');
  expect(body).not.toHaveProperty('sub');
}

describe.each(['memory', 'redis'] as const)('/userinfo rejects bad tokens (%s store)', (store) => {
  const clock = createManualClock();
  let stack: Stack;
  let tokens: { access_token: string; id_token: string };
  let signingKey: JWK;

  beforeAll(async () => {
    signingKey = await generateSigningJwk('RS256');
    stack = await startStack({ store, clock, signing: { keys: [{ jwk: signingKey }] } });
    const { code, verifier } = await obtainCode(stack, await stack.browser('alice'), WEB_APP);
    const response = await redeemCode(stack, WEB_APP, code, verifier);
    expect(response.status).toBe(200);
    tokens = (await response.json()) as typeof tokens;
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** The real access token's header and claims, re-signed with a key the bridge never published. */
  async function forged(options: { kid: 'same' | 'none' }): Promise<string> {
    const header = decodeProtectedHeader(tokens.access_token);
    const key = await generateTestKey(header.alg as 'RS256');
    const { kid: _kid, ...rest } = header;
    return new SignJWT(decodeJwt(tokens.access_token))
      .setProtectedHeader({ ...rest, alg: header.alg!, ...(options.kid === 'same' && { kid: header.kid }) })
      .sign(key.privateKey);
  }

  it('a valid access token is accepted (control)', async () => {
    const response = await userinfoRequest(stack, tokens.access_token);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { sub: string }).sub).toBe(decodeJwt(tokens.id_token).sub);
  });

  it('no token → 401 with a bare Bearer challenge (no error code)', async () => {
    const response = await userinfoRequest(stack, undefined);
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate');
    expect(challenge).toMatch(/^Bearer\b/);
    expect(challenge).not.toContain('error=');
  });

  it('a token in the query string is not accepted (no token → 401, bare challenge)', async () => {
    const response = await fetch(`${stack.issuer}/userinfo?access_token=${tokens.access_token}`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).not.toContain('error=');
  });

  it.each([
    ['garbage token', () => 'Bearer garbage'],
    ['garbage three-part token', () => 'Bearer aaa.bbb.ccc'],
    ['another auth scheme', () => `Basic ${Buffer.from('web-app:secret').toString('base64')}`],
    ['Bearer with nothing after it', () => 'Bearer '],
  ])('%s → 401 invalid_token', async (_name, authorization) => {
    await expectInvalidToken(await userinfoRequest(stack, undefined, { authorization: authorization() }));
  });

  it('the access token re-signed by another key under the bridge kid → 401 invalid_token', async () => {
    await expectInvalidToken(await userinfoRequest(stack, await forged({ kid: 'same' })));
  });

  it('the access token re-signed by another key without a kid → 401 invalid_token', async () => {
    await expectInvalidToken(await userinfoRequest(stack, await forged({ kid: 'none' })));
  });

  it('the access token with alg none → 401 invalid_token', async () => {
    const header = decodeProtectedHeader(tokens.access_token);
    await expectInvalidToken(await userinfoRequest(stack, craftToken({ ...header, alg: 'none' }, decodeJwt(tokens.access_token))));
  });

  /** The real access token's header and `claims`, signed with the bridge's own signing key. */
  async function signedByTheBridge(claims: JWTPayload): Promise<string> {
    const header = decodeProtectedHeader(tokens.access_token);
    return new SignJWT(claims).setProtectedHeader({ ...header, alg: header.alg! }).sign(await importJWK(signingKey, header.alg));
  }

  it.each(['client_id', 'iat'])('an access token signed by the bridge but without %s (not one it mints) → 401 invalid_token', async (claim) => {
    const { [claim]: _left, ...claims } = decodeJwt(tokens.access_token);
    expect((await userinfoRequest(stack, await signedByTheBridge({ ...claims, [claim]: _left }))).status).toBe(200); // control
    await expectInvalidToken(await userinfoRequest(stack, await signedByTheBridge(claims)));
  });

  it('an ID token used as an access token (typ JWT, not at+jwt) → 401 invalid_token', async () => {
    expect(decodeProtectedHeader(tokens.id_token).typ).toBe('JWT');
    await expectInvalidToken(await userinfoRequest(stack, tokens.id_token));
  });

  it('an expired access token (manual clock) → 401 invalid_token', async () => {
    const { code, verifier } = await obtainCode(stack, await stack.browser('bob'), WEB_APP);
    const { access_token: accessToken } = (await (await redeemCode(stack, WEB_APP, code, verifier)).json()) as { access_token: string };
    expect((await userinfoRequest(stack, accessToken)).status).toBe(200);
    clock.advance(301_000); // the default access token lifetime is 300 s
    await expectInvalidToken(await userinfoRequest(stack, accessToken));
  });
});
