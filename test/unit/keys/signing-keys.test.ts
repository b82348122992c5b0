import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/clock.ts';
import { generateSigningJwk, loadSigningKeys, SigningKeyError } from '../../../src/keys/signing-keys.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { createMemoryStore } from '../../../src/storage/memory.ts';

const newStore = () => createMemoryStore({ clock: createManualClock() });
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'];

describe('signing keys', () => {
  it('uses the first configured key as active and publishes only public members with kid, use and alg', async () => {
    const [rsa, ec] = [await generateSigningJwk('RS256'), await generateSigningJwk('ES256')];
    const keys = await loadSigningKeys({ jwks: [rsa, ec], requiredAlgs: ['ES256'], store: newStore(), logger: silentLogger });
    expect(keys.active.kid).toBe(rsa.kid);
    expect(keys.forAlg('ES256').kid).toBe(ec.kid);
    expect(keys.algorithms).toEqual(['RS256', 'ES256']);
    expect(keys.publicJwks.keys).toHaveLength(2);
    for (const jwk of keys.publicJwks.keys) {
      expect(jwk).toMatchObject({ use: 'sig' });
      expect(typeof jwk.kid).toBe('string');
      expect(typeof jwk.alg).toBe('string');
      for (const member of PRIVATE_MEMBERS) expect(jwk).not.toHaveProperty(member);
    }
  });

  it('verifies its own tokens through getVerificationKey, and nothing signed by another key', async () => {
    const keys = await loadSigningKeys({
      jwks: [await generateSigningJwk('ES256'), await generateSigningJwk('RS256')],
      requiredAlgs: [],
      store: newStore(),
      logger: silentLogger,
    });
    const own = await new SignJWT({ a: 1 }).setProtectedHeader({ alg: 'ES256', kid: keys.active.kid }).sign(keys.active.privateKey);
    await expect(jwtVerify(own, keys.getVerificationKey)).resolves.toBeTruthy();
    const stranger = await generateKeyPair('ES256');
    const forged = await new SignJWT({ a: 1 }).setProtectedHeader({ alg: 'ES256', kid: keys.active.kid }).sign(stranger.privateKey);
    await expect(jwtVerify(forged, keys.getVerificationKey)).rejects.toThrow();
  });

  it('generates keys once per store and shares them, so every instance signs with the same keys', async () => {
    const store = newStore();
    const warnings: unknown[] = [];
    const logger = { ...silentLogger, warn: (fields: unknown) => void warnings.push(fields) };
    const first = await loadSigningKeys({ jwks: [], requiredAlgs: ['RS256', 'ES256', 'EdDSA'], store, logger });
    const second = await loadSigningKeys({ jwks: [], requiredAlgs: [], store, logger });
    expect(second.all.map((k) => k.kid)).toEqual(first.all.map((k) => k.kid));
    expect(first.algorithms).toEqual(['RS256', 'ES256', 'EdDSA']);
    expect(warnings).toHaveLength(2);
  });

  it('refuses public keys, unsupported keys, duplicate kids and a missing algorithm a client needs', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const load = (jwks: any[], requiredAlgs: any[] = []) => loadSigningKeys({ jwks, requiredAlgs, store: newStore(), logger: silentLogger });
    await expect(load([await exportJWK(publicKey)])).rejects.toThrow(new SigningKeyError('signing.keys[0]', 'must be a private JWK (it has no "d")'));
    await expect(load([{ kty: 'oct', k: 'c2VjcmV0' }])).rejects.toThrow(/signing.keys\[0\]: unsupported key/);
    const key = await generateSigningJwk('ES256');
    await expect(load([key, key])).rejects.toThrow(/duplicate kid/);
    await expect(load([await generateSigningJwk('RS256'), key], ['EdDSA'])).rejects.toThrow(/asks for EdDSA ID tokens or access tokens .* but no EdDSA key/);
  });

  it('refuses a configured key set without an RS256 key (discovery must list RS256), naming signing.keys', async () => {
    const load = (jwks: any[]) => loadSigningKeys({ jwks, requiredAlgs: [], store: newStore(), logger: silentLogger });
    const error = await load([await generateSigningJwk('ES256'), await generateSigningJwk('EdDSA')]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigningKeyError);
    expect((error as SigningKeyError).path).toBe('signing.keys');
    expect((error as Error).message).toMatch(/^signing\.keys: must include an RS256 key/);
    const ok = await load([await generateSigningJwk('ES256'), await generateSigningJwk('RS256')]);
    expect(ok.algorithms).toEqual(['ES256', 'RS256']);
  });
});
