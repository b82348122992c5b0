import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeSignIn } from '../helpers/app-client.ts';
import { APP_CALLBACK, startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

const SECRET = 'alg-app-secret-0123456789';
const ES256_APP = { clientId: 'es256-app', clientSecret: SECRET, redirectUri: APP_CALLBACK };
const EDDSA_APP = { clientId: 'eddsa-app', clientSecret: SECRET, redirectUri: APP_CALLBACK };

describe('per-client accessTokenSigningAlg (generated keys: one per algorithm)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      clients: [
        { ...client(ES256_APP), accessTokenSigningAlg: 'ES256' },
        { ...client(EDDSA_APP), accessTokenSigningAlg: 'EdDSA' },
      ],
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it.each([
    ['RS256 by default', WEB_APP, 'RS256'],
    ['ES256', ES256_APP, 'ES256'],
    ['EdDSA', EDDSA_APP, 'EdDSA'],
  ])('signs access tokens with %s, and userinfo accepts them', async (_name, app, alg) => {
    const { tokens, userinfo, claims } = await completeSignIn(stack, await stack.browser('alice'), app);
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg, typ: 'at+jwt' });
    // ID tokens keep their own setting (idTokenSignedResponseAlg, RS256 by default).
    expect(decodeProtectedHeader(tokens.id_token!)).toMatchObject({ alg: 'RS256' });
    expect(userinfo.sub).toBe(claims.sub);
    const keys = (await (await fetch(`${stack.issuer}/jwks`)).json()) as { keys: { kid: string; alg: string }[] };
    expect(keys.keys.find((k) => k.kid === decodeProtectedHeader(tokens.access_token).kid)?.alg).toBe(alg);
  });
});

function client(app: { clientId: string; clientSecret: string; redirectUri: string }): Record<string, unknown> {
  return { clientId: app.clientId, clientSecret: app.clientSecret, redirectUris: [app.redirectUri], identityProviders: ['legacy'] };
}
