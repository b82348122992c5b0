import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type JWK, type JWTVerifyGetKey } from 'jose';
import type { Logger } from '../observability/logger.ts';
import type { Store } from '../storage/port.ts';

export type SigningAlg = 'RS256' | 'ES256' | 'EdDSA';
export const GENERATED_ALGS: SigningAlg[] = ['RS256', 'ES256', 'EdDSA'];
const GENERATED_KEYS_KEY = 'signing-keys:generated';
const PUBLIC_MEMBERS = ['kty', 'crv', 'n', 'e', 'x', 'y'] as const;

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** Published only (`status: published`): in /jwks and trusted, never used to sign (key rotation). */
  published: boolean;
}

export interface SigningKeys {
  /** The first configured key that is not published-only: signs access tokens and ID tokens of clients without a preference. */
  readonly active: SigningKey;
  readonly all: readonly SigningKey[];
  /** The first signing (not published-only) key of that algorithm. Startup guarantees one for every algorithm a client asks for. */
  forAlg(alg: SigningAlg): SigningKey;
  /** Public JWK set (current + previous keys), for /jwks. */
  readonly publicJwks: { keys: JWK[] };
  /** Resolves our own public keys, for verifying tokens we issued (userinfo, introspection). */
  readonly getVerificationKey: JWTVerifyGetKey;
  readonly algorithms: SigningAlg[];
}

/** A signing key set the bridge cannot use; `path` is the config key path (signing.keys, signing.keys[1]). */
export class SigningKeyError extends Error {
  readonly path: string;
  readonly detail: string;

  constructor(path: string, detail: string) {
    super(`${path}: ${detail}`);
    this.path = path;
    this.detail = detail;
    this.name = 'SigningKeyError';
  }
}

function inferAlg(jwk: JWK): SigningAlg | undefined {
  if (jwk.alg) return (GENERATED_ALGS as string[]).includes(jwk.alg) ? (jwk.alg as SigningAlg) : undefined;
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return undefined;
}

async function importSigningKey(jwk: JWK, index: number): Promise<SigningKey> {
  const where = `signing.keys[${index}]`;
  const alg = inferAlg(jwk);
  if (!alg) throw new SigningKeyError(where, `unsupported key (expected RSA for RS256, EC P-256 for ES256 or OKP Ed25519 for EdDSA)`);
  if (typeof jwk.d !== 'string') throw new SigningKeyError(where, `must be a private JWK (it has no "d")`);
  // `status` rides on the JWK from the config entry (or is a member of a JWK in the Worker secret).
  const status = (jwk as { status?: unknown }).status;
  if (status !== undefined && status !== 'active' && status !== 'published') {
    throw new SigningKeyError(`${where}.status`, 'must be active or published');
  }
  const { status: _status, ...material } = jwk as JWK & { status?: unknown };
  let privateKey: CryptoKey;
  try {
    privateKey = (await importJWK({ ...material, ext: false }, alg)) as CryptoKey;
  } catch (error) {
    throw new SigningKeyError(where, `cannot import the key (${(error as Error).message})`);
  }
  const base = Object.fromEntries(PUBLIC_MEMBERS.filter((m) => jwk[m] !== undefined).map((m) => [m, jwk[m]])) as JWK;
  const kid = jwk.kid ?? (await calculateJwkThumbprint(base, 'sha256'));
  return { kid, alg, privateKey, publicJwk: { ...base, kid, use: 'sig', alg }, published: status === 'published' };
}

function generateJwks(): Promise<JWK[]> {
  return Promise.all(GENERATED_ALGS.map((alg) => generateSigningJwk(alg)));
}

/**
 * Loads the bridge's signing keys. Without configured keys, a key per supported algorithm is generated and
 * shared through the store (first writer wins), so every instance on one Redis signs with the same keys.
 */
export async function loadSigningKeys(input: { jwks: JWK[]; requiredAlgs: SigningAlg[]; store: Store; logger: Logger }): Promise<SigningKeys> {
  let jwks = input.jwks;
  if (jwks.length === 0) {
    const candidate = JSON.stringify(await generateJwks());
    await input.store.setIfAbsent(GENERATED_KEYS_KEY, candidate);
    jwks = JSON.parse((await input.store.get(GENERATED_KEYS_KEY)) ?? candidate) as JWK[];
    input.logger.warn(
      { event: 'keys.generated', kids: jwks.map((k) => k.kid) },
      'no signing keys configured: using generated keys kept in the store. Configure signing.keys for production (generate with `jwt-idp-bridge keys generate`).',
    );
  }
  const all = await importSigningKeys(jwks, input.requiredAlgs);
  // Every key is published and trusted; only the non-published ones sign (a new key is published first, RPs cache it, then it signs).
  const signing = all.filter((k) => !k.published);
  const publicJwks = { keys: all.map((k) => k.publicJwk) };
  return {
    active: signing[0]!,
    all,
    forAlg: (alg) => signing.find((k) => k.alg === alg) ?? signing[0]!,
    publicJwks,
    getVerificationKey: createLocalJWKSet(publicJwks),
    algorithms: [...new Set(signing.map((k) => k.alg))],
  };
}

/**
 * Imports and checks a signing key set: importable private keys, unique kids, a key for every algorithm a client
 * asks for, and an RS256 key (OIDC Discovery §3: id_token_signing_alg_values_supported must include RS256).
 * `config check` runs this too, so it refuses exactly what startup refuses.
 */
export async function importSigningKeys(jwks: JWK[], requiredAlgs: readonly SigningAlg[]): Promise<SigningKey[]> {
  const all = await Promise.all(jwks.map((jwk, i) => importSigningKey(jwk, i)));
  const kids = new Set<string>();
  for (const key of all) {
    if (kids.has(key.kid)) throw new SigningKeyError('signing.keys', `duplicate kid "${key.kid}"`);
    kids.add(key.kid);
  }
  const signing = all.filter((k) => !k.published);
  if (all.length && !signing.length)
    throw new SigningKeyError('signing.keys', 'every key is published-only: at least one must sign (status active, the default)');
  if (all.length && !signing.some((k) => k.alg === 'RS256')) {
    throw new SigningKeyError(
      'signing.keys',
      `must include an RS256 key (discovery must list RS256 in id_token_signing_alg_values_supported); found only ${[...new Set(signing.map((k) => k.alg))].join(', ')}. Add one with \`jwt-idp-bridge keys generate --alg RS256\``,
    );
  }
  for (const alg of requiredAlgs) {
    if (!signing.some((k) => k.alg === alg))
      throw new SigningKeyError(
        'signing.keys',
        `a client asks for ${alg} ID tokens or access tokens (idTokenSignedResponseAlg, accessTokenSigningAlg) but no ${alg} key is configured`,
      );
  }
  return all;
}

/** A new private JWK for `jwt-idp-bridge keys generate`. */
export async function generateSigningJwk(alg: SigningAlg): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk, 'sha256') };
}
