import { createLocalJWKSet, exportJWK, importJWK, importSPKI, type JWK } from 'jose';
import { ConfigError } from '../config/errors.ts';
import type { IdentityProviderConfig } from '../config/schema.ts';
import { algorithmFits, describeQuery, KeySourceError, lookupKeys, unusableKeyReason, type KeySource, type LocalKeySet } from './key-set.ts';

const PEM_PUBLIC_KEY = '-----BEGIN PUBLIC KEY-----';

/**
 * Keys configured inline (`publicKeys`: JWK objects or SPKI PEM strings). Problems visible without crypto
 * (private or symmetric keys, a JWK `alg` outside the allow-list) fail fast at construction; the keys are
 * imported once, on first use, with jose (`importJWK` / `importSPKI`). A key configured without `kid` (every PEM)
 * also serves tokens whose `kid` names no configured key.
 */
export function createStaticKeySource(idp: IdentityProviderConfig): KeySource {
  const configured = idp.publicKeys ?? [];
  const problems = configured.flatMap((key, i) => {
    const path = `identityProviders[id=${idp.id}].publicKeys[${i}]`;
    if (typeof key === 'string') {
      return key.trim().startsWith(PEM_PUBLIC_KEY) ? [] : [{ path, message: `must be a JWK object or a PEM "${PEM_PUBLIC_KEY}" block` }];
    }
    const why = unusableKeyReason(key, idp.algorithms);
    return why ? [{ path, message: why }] : [];
  });
  if (problems.length) throw new ConfigError(problems);

  let ready: Promise<{ all: LocalKeySet; withoutKid?: LocalKeySet }> | undefined;
  const description = `publicKeys (${configured.length} configured)`;

  async function importAll(): Promise<{ all: LocalKeySet; withoutKid?: LocalKeySet }> {
    const keys: JWK[] = [];
    for (const [i, key] of configured.entries()) {
      try {
        keys.push(typeof key === 'string' ? await pemToJwk(key.trim(), idp.algorithms) : await checkJwk(key as JWK, idp.algorithms));
      } catch (error) {
        throw new KeySourceError('keys_unavailable', `publicKeys[${i}] could not be imported: ${(error as Error).message}`, { cause: error });
      }
    }
    const withoutKid = keys.filter((jwk) => jwk.kid === undefined);
    return { all: createLocalJWKSet({ keys }), ...(withoutKid.length && { withoutKid: createLocalJWKSet({ keys: withoutKid }) }) };
  }

  return {
    description,
    async resolve(query) {
      ready ??= importAll();
      const sets = await ready;
      // A configured key without kid (always the case for PEM) is the operator saying "this key, whatever the kid".
      const keys = (await lookupKeys(sets.all, query)) ?? (sets.withoutKid && (await lookupKeys(sets.withoutKid, { alg: query.alg })));
      if (!keys) throw new KeySourceError('unknown_kid', `no configured public key for ${describeQuery(query)}`);
      return { keys, from: () => description };
    },
  };
}

/** Imports a JWK once to prove it is a usable public key; returns it unchanged for the local set. */
async function checkJwk(jwk: JWK, algorithms: readonly string[]): Promise<JWK> {
  const alg = jwk.alg ?? algorithms.find((candidate) => algorithmFits(candidate, jwk as Record<string, unknown>));
  const key = await importJWK(jwk, alg);
  if (key instanceof Uint8Array || key.type !== 'public') throw new Error('not a public key');
  return jwk;
}

/** A PEM carries no algorithm: import it with the first allowed algorithm that fits, then keep it as a JWK without `alg`. */
async function pemToJwk(pem: string, algorithms: readonly string[]): Promise<JWK> {
  let lastError: unknown;
  for (const alg of algorithms) {
    try {
      const key = await importSPKI(pem, alg, { extractable: true });
      return await exportJWK(key);
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`not an SPKI public key usable with ${algorithms.join(', ')} (${(lastError as Error | undefined)?.message ?? 'no algorithm'})`);
}
