import { importJWK, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose';
import { algorithmFits, unusableKeyReason, type KeyQuery } from './key-set.ts';

/** One public key of a fetched set, imported for every allowed algorithm it fits (so lookups never import). */
export interface ImportedKey {
  kid?: string;
  /** The public members in a fixed order: two entries are the same key exactly when these are equal. */
  identity: string;
  byAlg: Map<string, CryptoKey>;
}

const PUBLIC_MEMBERS = ['kty', 'crv', 'n', 'e', 'x', 'y'] as const;

function identityOf(jwk: Record<string, unknown>): string {
  return JSON.stringify(PUBLIC_MEMBERS.map((member) => jwk[member] ?? null));
}

/**
 * Imports every usable key of a JWK set at once. A key that fails to import (corrupt modulus, point not on the
 * curve…) is dropped here, with the reason, so it never enters the cache and can never shadow a good key.
 */
export async function importKeySet(jwks: unknown, algorithms: readonly string[]): Promise<{ keys: ImportedKey[]; dropped: string[] }> {
  if (!jwks || typeof jwks !== 'object' || !Array.isArray((jwks as JSONWebKeySet).keys)) {
    throw new Error('not a JWK set (expected an object with a "keys" array)');
  }
  const keys: ImportedKey[] = [];
  const dropped: string[] = [];
  for (const [i, jwk] of (jwks as { keys: unknown[] }).keys.entries()) {
    if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk)) {
      dropped.push(`keys[${i}]: not an object`);
      continue;
    }
    const member = jwk as Record<string, unknown>;
    const label = `keys[${i}]${typeof member.kid === 'string' ? ` (kid ${JSON.stringify(member.kid)})` : ''}`;
    const why = unusableKeyReason(member, algorithms);
    if (why) {
      dropped.push(`${label}: ${why}`);
      continue;
    }
    if (member.key_ops !== undefined && !(Array.isArray(member.key_ops) && member.key_ops.includes('verify'))) {
      dropped.push(`${label}: key_ops does not include verify`);
      continue;
    }
    const byAlg = new Map<string, CryptoKey>();
    let failure = '';
    for (const alg of algorithms.filter((a) => algorithmFits(a, member) && (member.alg === undefined || member.alg === a))) {
      try {
        const key = await importJWK({ ...(member as JWK), ext: true }, alg);
        if (key instanceof Uint8Array || key.type !== 'public') throw new Error('not a public key');
        byAlg.set(alg, key);
      } catch (error) {
        failure = (error as Error).message;
      }
    }
    if (!byAlg.size) {
      dropped.push(`${label}: does not import (${failure || 'no algorithm'})`);
      continue;
    }
    keys.push({ ...(typeof member.kid === 'string' && { kid: member.kid }), identity: identityOf(member), byAlg });
  }
  if (!keys.length) throw new Error(`no usable signing key in the set${dropped.length ? ` (${dropped.join('; ')})` : ''}`);
  return { keys, dropped };
}

/** The keys that may verify a token with this header (jose's local-set rules: kid equal when the token names one, alg fits). */
export function matchKeys(keys: readonly ImportedKey[], query: KeyQuery): CryptoKey[] {
  const found: CryptoKey[] = [];
  for (const key of keys) {
    if (query.kid !== undefined && key.kid !== query.kid) continue;
    const crypto = key.byAlg.get(query.alg);
    if (crypto) found.push(crypto);
  }
  return found;
}
