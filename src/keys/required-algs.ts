import type { Config } from '../config/schema.ts';
import type { SigningAlg } from './signing-keys.ts';

/**
 * Every algorithm a client signs with: its ID tokens (`idTokenSignedResponseAlg`) and its access tokens
 * (`accessTokenSigningAlg`). Startup and `config check` require a configured key for each (generated keys cover all).
 */
export function requiredSigningAlgs(config: Pick<Config, 'clients'>): SigningAlg[] {
  const algs = new Set<SigningAlg>();
  for (const client of config.clients) {
    algs.add(client.idTokenSignedResponseAlg as SigningAlg);
    algs.add(client.accessTokenSigningAlg as SigningAlg);
  }
  return [...algs];
}
