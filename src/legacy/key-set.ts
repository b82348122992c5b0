import type { Logger } from '../observability/logger.ts';
import { type createLocalJWKSet, errors, type CryptoKey } from 'jose';

/** What the verifier asks a key source for: only `alg` and `kid`; never `jku`, `x5u`, `jwk` or `x5c`. */
export interface KeyQuery {
  alg: string;
  kid?: string;
}

export interface ResolvedKeys {
  /** Usually one; several only when the token has no `kid` and several keys fit its `alg`. */
  keys: CryptoKey[];
  /** Where the keys came from, for the trace ("keysEndpoint http://…/keys (fetched 12s ago)"); written only when read. */
  from(): string;
}

export interface KeySource {
  /** Human description for the trace and logs; never key material. */
  readonly description: string;
  /** `log` is the caller's (request) logger, for events such as a fetch this call triggers. */
  resolve(query: KeyQuery, log?: Logger): Promise<ResolvedKeys>;
  /**
   * After every resolved key failed the signature check: the issuer may have replaced a key under the same kid. A
   * remote source refetches (rate-limited, only when its keys are older than the cooldown) and returns keys not yet
   * tried, or undefined when there is nothing new to try.
   */
  retryAfterSignatureFailure?(query: KeyQuery, tried: readonly CryptoKey[], log?: Logger): Promise<ResolvedKeys | undefined>;
  /** Told which key verified a token: a known-good key is not dropped silently by a later refetch. */
  confirm?(key: CryptoKey): void;
}

/** A key source failure; the verifier turns it into `unknown_kid` or `keys_unavailable`. */
export class KeySourceError extends Error {
  readonly reason: 'unknown_kid' | 'keys_unavailable';

  constructor(reason: 'unknown_kid' | 'keys_unavailable', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeySourceError';
    this.reason = reason;
  }
}

export type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];

/** Why a JWK must not be used to verify legacy tokens, or undefined when it may. */
export function unusableKeyReason(jwk: Record<string, unknown>, algorithms: readonly string[]): string | undefined {
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') return `kty ${String(jwk.kty)} is not an asymmetric signing key type`;
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) return 'contains private key material';
  if (jwk.use !== undefined && jwk.use !== 'sig') return `use is ${String(jwk.use)}, not sig`;
  if (jwk.alg !== undefined && !algorithms.includes(jwk.alg as string)) return `alg ${String(jwk.alg)} is not in the allowed algorithms`;
  if (!algorithms.some((alg) => algorithmFits(alg, jwk))) return 'no allowed algorithm fits this key type/curve';
  return undefined;
}

/** Whether a JWS algorithm can be used with a JWK of this type and curve. */
export function algorithmFits(alg: string, jwk: Record<string, unknown>): boolean {
  if (/^(RS|PS)\d{3}$/.test(alg)) return jwk.kty === 'RSA';
  const curves: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };
  if (curves[alg]) return jwk.kty === 'EC' && jwk.crv === curves[alg];
  if (alg === 'EdDSA' || alg === 'Ed25519') return jwk.kty === 'OKP' && jwk.crv === 'Ed25519';
  return false;
}

/** Looks a key up in a local set; undefined when no key matches. Import failures are a key-source problem. */
export async function lookupKeys(set: LocalKeySet, query: KeyQuery): Promise<CryptoKey[] | undefined> {
  try {
    return [await set({ alg: query.alg, kid: query.kid })];
  } catch (error) {
    if (error instanceof errors.JWKSNoMatchingKey) return undefined;
    if (error instanceof errors.JWKSMultipleMatchingKeys) {
      const keys: CryptoKey[] = [];
      for await (const key of error) keys.push(key);
      if (keys.length) return keys;
      throw new KeySourceError('keys_unavailable', 'none of the matching keys could be imported');
    }
    throw new KeySourceError('keys_unavailable', `the matching key could not be imported: ${(error as Error).message}`, { cause: error });
  }
}

export function describeQuery(query: KeyQuery): string {
  return query.kid === undefined ? `no kid, alg ${query.alg}` : `kid ${JSON.stringify(query.kid)}, alg ${query.alg}`;
}
