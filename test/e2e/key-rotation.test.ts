import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningJwk } from '../../src/keys/signing-keys.ts';
import { completeSignIn } from '../helpers/app-client.ts';
import { startLegacyIssuer, type LegacyIssuer } from '../helpers/legacy-issuer.ts';
import { freePort } from '../helpers/ports.ts';
import { deleteKeys, startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

/**
 * The documented rotation (docs/operators.md): publish the new key, make it active (the old one published only), then
 * retire the old one. Each step is a restart of the same issuer on the same port and store, with openid-client
 * verifying every ID token through /jwks, and tokens from the previous key verifying during the overlap.
 */
describe('signing key rotation without downtime', () => {
  let legacy: LegacyIssuer;
  let port: number;
  const keyPrefix = `test:${crypto.randomUUID()}:`;
  let oldKey: JWK;
  let newKey: JWK;
  let stack: Stack | undefined;

  const run = async (keys: Record<string, unknown>[]) => {
    await stack?.close();
    stack = await startStack({ store: 'redis', keyPrefix, legacy, bridgePort: port, signing: { keys } });
    return stack;
  };
  const kidOf = (token: string) => decodeProtectedHeader(token).kid;
  const verifiesAtJwks = async (s: Stack, token: string) => {
    const jwks = createRemoteJWKSet(new URL(`${s.issuer}/jwks`));
    return jwtVerify(token, jwks, { issuer: s.issuer }).then(
      () => true,
      () => false,
    );
  };
  const userinfo = (s: Stack, accessToken: string) => fetch(`${s.issuer}/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } });

  beforeAll(async () => {
    legacy = await startLegacyIssuer({ alg: 'ES256' });
    port = await freePort();
    oldKey = { ...(await generateSigningJwk('RS256')), kid: 'old' };
    newKey = { ...(await generateSigningJwk('RS256')), kid: 'new' };
  });
  afterAll(async () => {
    await stack?.close();
    await legacy?.close();
    await deleteKeys(keyPrefix);
  });

  it('publishes, activates and retires a key while tokens keep verifying', async () => {
    // 0. Before: one key.
    let s = await run([{ jwk: oldKey }]);
    const before = await completeSignIn(s, await s.browser('rotation-alice'), WEB_APP);
    expect(kidOf(before.tokens.id_token!)).toBe('old');

    // 1. Publish the new key (published only): /jwks lists both, the old one still signs.
    s = await run([{ jwk: oldKey }, { jwk: newKey, status: 'published' }]);
    const jwks = (await (await fetch(`${s.issuer}/jwks`)).json()) as { keys: JWK[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(['old', 'new']);
    expect(JSON.stringify(jwks)).not.toMatch(/"d"|status/);
    const published = await completeSignIn(s, await s.browser('rotation-alice'), WEB_APP);
    expect(kidOf(published.tokens.id_token!)).toBe('old');
    expect(kidOf(published.tokens.access_token)).toBe('old');

    // 2. Activate it (old published only): new tokens are signed by the new key; the previous ones still verify.
    s = await run([{ jwk: newKey }, { jwk: oldKey, status: 'published' }]);
    const rotated = await completeSignIn(s, await s.browser('rotation-alice'), WEB_APP);
    expect(kidOf(rotated.tokens.id_token!)).toBe('new');
    expect(await verifiesAtJwks(s, before.tokens.id_token!)).toBe(true);
    expect(await verifiesAtJwks(s, rotated.tokens.id_token!)).toBe(true);
    expect((await userinfo(s, published.tokens.access_token)).status).toBe(200);
    const discovery = (await (await fetch(`${s.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    expect(discovery.id_token_signing_alg_values_supported).toContain('RS256');

    // 3. Retire the old key (after the longest token lifetime): its tokens no longer verify, the new ones do.
    s = await run([{ jwk: newKey }]);
    expect(await verifiesAtJwks(s, before.tokens.id_token!)).toBe(false);
    expect((await userinfo(s, published.tokens.access_token)).status).toBe(401);
    expect((await userinfo(s, rotated.tokens.access_token)).status).toBe(200);
  });
});

describe('published-only keys: what startup refuses', () => {
  it('needs at least one signing key, and an RS256 one among the signing keys', async () => {
    const { importSigningKeys } = await import('../../src/keys/signing-keys.ts');
    const rs = await generateSigningJwk('RS256');
    const es = await generateSigningJwk('ES256');
    await expect(importSigningKeys([{ ...rs, status: 'published' } as JWK], [])).rejects.toThrow(/every key is published-only/);
    await expect(importSigningKeys([es, { ...rs, status: 'published' } as JWK], [])).rejects.toThrow(/must include an RS256 key/);
    await expect(importSigningKeys([{ ...rs, status: 'retired' } as JWK], [])).rejects.toThrow(/signing\.keys\[0\]\.status: must be active or published/);
    const keys = await importSigningKeys([rs, { ...es, status: 'published' } as JWK], []);
    expect(keys.map((k) => k.published)).toEqual([false, true]);
  });

  it('accepts status in the config schema, and only active or published', async () => {
    const { configProblems, minimalConfig } = await import('../helpers/config.ts');
    const withKeys = (keys: unknown) => configProblems({ ...minimalConfig(), signing: { keys } });
    expect(withKeys([{ file: 'a.jwk' }, { file: 'b.jwk', status: 'published' }])).toEqual([]);
    expect(withKeys([{ file: 'a.jwk', status: 'retired' }])).not.toEqual([]);
  });
});
