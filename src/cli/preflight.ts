import type { Config } from '../config/schema.ts';
import { ConfigError } from '../config/errors.ts';
import { importSigningKeys, SigningKeyError } from '../keys/signing-keys.ts';
import { requiredSigningAlgs } from '../keys/required-algs.ts';
import { readSigningJwks } from '../runtime/node.ts';

/**
 * The checks beyond the schema that need files or key imports (signing.keys): run by `config check` and by `serve`
 * before it listens, so both refuse the same configurations with the same key path (#9.8).
 */
export async function preflightConfig(config: Config, configFile: string): Promise<void> {
  try {
    const jwks = await readSigningJwks(config, configFile);
    // Without configured keys the bridge generates one per algorithm (RS256 first): nothing to check.
    if (!jwks.length) return;
    await importSigningKeys(jwks, requiredSigningAlgs(config));
  } catch (error) {
    if (error instanceof SigningKeyError) throw new ConfigError([{ path: error.path, message: error.detail }]);
    throw error;
  }
}
