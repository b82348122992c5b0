/**
 * private_key_jwt client authentication at POST /token (RFC 7523 §2.2, §3; OIDC Core §9), against the real server
 * with memory and a real Redis: openid-client's `PrivateKeyJwt` signs in end to end (inline jwks and jwksUri), and
 * hand-made assertions (jose) are refused with the right error — invalid_client 401 or invalid_request 400, never 500.
 */
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, expectJsonError, IDP_SCOPE, obtainCode, tokenRequest, type AppClient, type ParamValue } from '../helpers/app-client.ts';
import { startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const INLINE: AppClient = { clientId: 'pkjwt-inline', redirectUri: 'http://localhost:7003/callback' };
const REMOTE: AppClient = { clientId: 'pkjwt-remote', redirectUri: 'http://localhost:7004/callback' };
const STRICT_BASIC = { clientId: 'strict-basic', clientSecret: 'strict-basic-secret-0123456789', redirectUri: 'http://localhost:7005/callback' };

interface ClientKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  kid: string;
  alg: string;
}

async function clientKey(alg: 'ES256' | 'RS256' | 'PS256' | 'EdDSA', kid: string): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, kid, alg };
}

/** A JWKS server on loopback (the jwksUri client's key endpoint), counting requests. */
async function serveJwks(jwks: { keys: JWK[] }): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((_req, res) => {
    requests += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/jwks`, requests: () => requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe.each(['memory', 'redis'] as const)('private_key_jwt client authentication (%s store)', (store) => {
  let stack: Stack;
  let inlineKey: ClientKey;
  let remoteKey: ClientKey;
  let jwksServer: Awaited<ReturnType<typeof serveJwks>>;

  beforeAll(async () => {
    inlineKey = await clientKey('ES256', 'inline-1');
    remoteKey = await clientKey('RS256', 'remote-1');
    jwksServer = await serveJwks({ keys: [remoteKey.publicJwk] });
    stack = await startStack({
      store,
      clients: [
        {
          clientId: INLINE.clientId,
          tokenEndpointAuthMethod: 'private_key_jwt',
          jwks: { keys: [inlineKey.publicJwk] },
          redirectUris: [INLINE.redirectUri],
          identityProviders: ['legacy'],
        },
        {
          clientId: REMOTE.clientId,
          tokenEndpointAuthMethod: 'private_key_jwt',
          jwksUri: jwksServer.url,
          redirectUris: [REMOTE.redirectUri],
          identityProviders: ['legacy'],
        },
        {
          clientId: STRICT_BASIC.clientId,
          clientSecret: STRICT_BASIC.clientSecret,
          tokenEndpointAuthMethod: 'client_secret_basic',
          redirectUris: [STRICT_BASIC.redirectUri],
          identityProviders: ['legacy'],
        },
      ],
    });
  });
  afterAll(async () => {
    await stack?.close();
    await jwksServer?.close();
  });

  /** A full sign-in with openid-client v6 `PrivateKeyJwt`: authorization URL, browser flow, code grant, userinfo. */
  async function signInWithPrivateKeyJwt(client: AppClient, key: ClientKey) {
    const app = await oidc.discovery(new URL(stack.issuer), client.clientId, {}, oidc.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }), {
      execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks],
    });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(app, {
      redirect_uri: client.redirectUri,
      scope: `openid profile ${IDP_SCOPE}`,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const browser = await stack.browser('alice');
    const { stoppedAt } = await browser.follow(url.href, client.redirectUri);
    expect(stoppedAt, JSON.stringify(browser.hops)).toBeDefined();
    const tokens = await oidc.authorizationCodeGrant(app, stoppedAt!, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const userinfo = await oidc.fetchUserInfo(app, tokens.access_token, tokens.claims()!.sub);
    return { app, tokens, userinfo };
  }

  it('advertises private_key_jwt and the asymmetric signing algorithms in discovery', async () => {
    const metadata = (await (await fetch(`${stack.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(metadata.token_endpoint_auth_signing_alg_values_supported).toEqual(['RS256', 'PS256', 'ES256', 'EdDSA']);
  });

  it('signs in with openid-client PrivateKeyJwt and inline jwks (ES256)', async () => {
    const { tokens, userinfo } = await signInWithPrivateKeyJwt(INLINE, inlineKey);
    expect(tokens.claims()!.aud).toBe(INLINE.clientId);
    expect(userinfo.sub).toBe(tokens.claims()!.sub);
  });

  it('introspects and revokes its own access token with openid-client PrivateKeyJwt (a confidential client without a secret)', async () => {
    const { app, tokens } = await signInWithPrivateKeyJwt(INLINE, inlineKey);
    expect((await oidc.tokenIntrospection(app, tokens.access_token)).active).toBe(true);
    await oidc.tokenRevocation(app, tokens.access_token);
    expect((await oidc.tokenIntrospection(app, tokens.access_token)).active).toBe(false);
  });

  it('signs in with openid-client PrivateKeyJwt and a jwksUri (RS256), fetching the keys from the client', async () => {
    const { tokens } = await signInWithPrivateKeyJwt(REMOTE, remoteKey);
    expect(tokens.claims()!.aud).toBe(REMOTE.clientId);
    expect(jwksServer.requests()).toBeGreaterThan(0);
  });

  // ---------------------------------------------------------------------------------------------------------------
  // Hand-made assertions

  const nowS = () => Math.floor(Date.now() / 1000);

  /** An assertion for `clientId` (default: the inline client), valid unless `claims`/`header` change it. */
  async function assertion(options: { claims?: Record<string, unknown>; key?: CryptoKey; alg?: string; kid?: string; clientId?: string } = {}) {
    const clientId = options.clientId ?? INLINE.clientId;
    const claims = { iss: clientId, sub: clientId, aud: stack.issuer, jti: crypto.randomUUID(), iat: nowS(), exp: nowS() + 60, ...options.claims };
    for (const [name, value] of Object.entries(claims)) if (value === undefined) delete (claims as Record<string, unknown>)[name];
    return new SignJWT(claims)
      .setProtectedHeader({ alg: options.alg ?? inlineKey.alg, kid: options.kid ?? inlineKey.kid })
      .sign(options.key ?? inlineKey.privateKey);
  }

  /** POST /token with an assertion; `code` is a dummy unless given, so a wrongly accepted assertion shows as invalid_grant. */
  function redeemWith(form: Record<string, ParamValue>, headers: Record<string, string> = {}) {
    return tokenRequest(
      stack,
      { grant_type: 'authorization_code', code: 'x'.repeat(43), redirect_uri: INLINE.redirectUri, client_assertion_type: JWT_BEARER, ...form },
      { headers },
    );
  }

  function lastReason(): unknown {
    const rejected = stack.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.event === 'token.rejected');
    return rejected.at(-1)?.reason;
  }

  it('accepts a hand-made assertion once (aud = the token endpoint, in an array) and refuses its replay', async () => {
    const { code, verifier } = await obtainCode(stack, await stack.browser('alice'), INLINE);
    const signed = await assertion({ claims: { aud: ['https://someone.else.example', `${stack.issuer}/token`] } });
    const first = await redeemWith({ code, code_verifier: verifier, client_assertion: signed });
    expect(first.status, await first.clone().text()).toBe(200);
    const again = await obtainCode(stack, await stack.browser('alice'), INLINE);
    const replay = await redeemWith({ code: again.code, code_verifier: again.verifier, client_assertion: signed });
    await expectJsonError(replay, 401, 'invalid_client');
    expect(lastReason()).toBe('client_assertion_replayed');
  });

  const REFUSED: [string, () => Promise<Record<string, ParamValue>>, Record<string, string> | undefined, number, string, string][] = [
    [
      'expired',
      async () => ({ client_assertion: await assertion({ claims: { iat: nowS() - 600, exp: nowS() - 120 } }) }),
      undefined,
      401,
      'invalid_client',
      'client_assertion_invalid',
    ],
    [
      'exp more than 5 minutes ahead',
      async () => ({ client_assertion: await assertion({ claims: { exp: nowS() + 3600 } }) }),
      undefined,
      401,
      'invalid_client',
      'client_assertion_invalid',
    ],
    [
      'no exp',
      async () => ({ client_assertion: await assertion({ claims: { exp: undefined } }) }),
      undefined,
      401,
      'invalid_client',
      'client_assertion_invalid',
    ],
    [
      'no jti',
      async () => ({ client_assertion: await assertion({ claims: { jti: undefined } }) }),
      undefined,
      401,
      'invalid_client',
      'client_assertion_invalid',
    ],
    [
      'wrong aud',
      async () => ({ client_assertion: await assertion({ claims: { aud: `${stack.issuer}/userinfo` } }) }),
      undefined,
      401,
      'invalid_client',
      'client_assertion_invalid',
    ],
    [
      'iss is not the client',
      async () => ({ client_assertion: await assertion({ claims: { iss: REMOTE.clientId } }) }),
      undefined,
      401,
      'invalid_client',
      'client_assertion_invalid',
    ],
    [
      "sub of another private_key_jwt client (signed with this one's key)",
      async () => ({ client_assertion: await assertion({ claims: { sub: REMOTE.clientId } }) }),
      undefined,
      401,
      'invalid_client',
      'client_assertion_invalid',
    ],
    [
      'HS256 with a secret',
      async () => ({
        client_assertion: await assertion({ alg: 'HS256', key: new TextEncoder().encode('a-shared-secret-0123456789abcdef') as unknown as CryptoKey }),
      }),
      undefined,
      401,
      'invalid_client',
      'client_assertion_invalid',
    ],
    [
      'HS256 keyed with the public JWK itself',
      async () => ({
        client_assertion: await assertion({ alg: 'HS256', key: new TextEncoder().encode(JSON.stringify(inlineKey.publicJwk)) as unknown as CryptoKey }),
      }),
      undefined,
      401,
      'invalid_client',
      'client_assertion_invalid',
    ],
    ['alg none', async () => ({ client_assertion: unsigned(INLINE.clientId, stack.issuer) }), undefined, 401, 'invalid_client', 'client_assertion_invalid'],
    [
      'unknown kid',
      async () => ({ client_assertion: await assertion({ kid: 'not-registered' }) }),
      undefined,
      401,
      'invalid_client',
      'client_assertion_invalid',
    ],
    [
      'signed with another key under the registered kid',
      async () => ({ client_assertion: await assertion({ key: (await clientKey('ES256', 'x')).privateKey }) }),
      undefined,
      401,
      'invalid_client',
      'client_assertion_invalid',
    ],
    ['garbage assertion', async () => ({ client_assertion: 'not.a.jwt' }), undefined, 401, 'invalid_client', 'client_assertion_invalid'],
    ['unknown client', async () => ({ client_assertion: await assertion({ clientId: 'nobody' }) }), undefined, 401, 'invalid_client', 'client_unknown'],
    [
      'client registered for client_secret_basic sends an assertion',
      async () => ({ client_assertion: await assertion({ clientId: WEB_APP.clientId }) }),
      undefined,
      401,
      'invalid_client',
      'client_auth_method_mismatch',
    ],
    [
      'private_key_jwt client sends a secret (Basic)',
      async () => ({ client_assertion_type: undefined }),
      { authorization: basicAuth(INLINE.clientId, 'some-secret-0123456789') },
      401,
      'invalid_client',
      'client_auth_method_mismatch',
    ],
    [
      'private_key_jwt client sends a secret (post)',
      async () => ({ client_assertion_type: undefined, client_id: INLINE.clientId, client_secret: 'some-secret-0123456789' }),
      undefined,
      401,
      'invalid_client',
      'client_auth_method_mismatch',
    ],
    [
      'private_key_jwt client sends only its client_id',
      async () => ({ client_assertion_type: undefined, client_id: INLINE.clientId }),
      undefined,
      401,
      'invalid_client',
      'client_auth_method_mismatch',
    ],
    [
      'assertion and Basic at once',
      async () => ({ client_assertion: await assertion() }),
      { authorization: basicAuth(WEB_APP.clientId, WEB_APP.clientSecret) },
      400,
      'invalid_request',
      'multiple_client_auth',
    ],
    [
      'assertion and client_secret at once',
      async () => ({ client_assertion: await assertion(), client_secret: 'some-secret-0123456789' }),
      undefined,
      400,
      'invalid_request',
      'multiple_client_auth',
    ],
    [
      'wrong client_assertion_type',
      async () => ({ client_assertion: await assertion(), client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' }),
      undefined,
      400,
      'invalid_request',
      'client_assertion_type_unsupported',
    ],
    ['client_assertion_type without an assertion', async () => ({}), undefined, 400, 'invalid_request', 'missing_parameter'],
    [
      'client_id naming another client than the assertion',
      async () => ({ client_assertion: await assertion(), client_id: REMOTE.clientId }),
      undefined,
      400,
      'invalid_request',
      'client_id_mismatch',
    ],
    [
      'client_secret_post for a client registered for client_secret_basic',
      async () => ({
        client_assertion_type: undefined,
        client_id: STRICT_BASIC.clientId,
        client_secret: STRICT_BASIC.clientSecret,
        redirect_uri: STRICT_BASIC.redirectUri,
      }),
      undefined,
      401,
      'invalid_client',
      'client_auth_method_mismatch',
    ],
  ];

  it.each(REFUSED)('refuses %s', async (_name, form, headers, status, error, reason) => {
    const response = await redeemWith(await form(), headers);
    expect(response.headers.get('cache-control')).toBe('no-store');
    await expectJsonError(response, status, error);
    expect(lastReason()).toBe(reason);
  });

  it('keeps client_secret_post working for a client without tokenEndpointAuthMethod (the default accepts both secret methods)', async () => {
    const response = await tokenRequest(stack, {
      grant_type: 'authorization_code',
      code: 'x'.repeat(43),
      redirect_uri: WEB_APP.redirectUri,
      client_id: WEB_APP.clientId,
      client_secret: WEB_APP.clientSecret,
    });
    await expectJsonError(response, 400, 'invalid_grant');
  });

  it('accepts client_secret_basic for the strict client (its registered method)', async () => {
    const response = await tokenRequest(
      stack,
      { grant_type: 'authorization_code', code: 'x'.repeat(43), redirect_uri: STRICT_BASIC.redirectUri },
      { headers: { authorization: basicAuth(STRICT_BASIC.clientId, STRICT_BASIC.clientSecret) } },
    );
    await expectJsonError(response, 400, 'invalid_grant');
  });
});

function unsigned(clientId: string, issuer: string): string {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: clientId, sub: clientId, aud: issuer, jti: crypto.randomUUID(), exp: now + 60 })}.`;
}
