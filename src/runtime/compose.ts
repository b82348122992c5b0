import type { JWK } from 'jose';
import type { Hono } from 'hono';
import { createApp } from '../app.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import { createUserDirectory } from '../identity/user-directory.ts';
import { loadSigningKeys } from '../keys/signing-keys.ts';
import { requiredSigningAlgs } from '../keys/required-algs.ts';
import { createLegacyVerifier } from '../legacy/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { BridgeContext, BridgeEnv } from '../oidc/services.ts';
import type { Store } from '../storage/port.ts';

export interface Bridge {
  app: Hono<BridgeEnv>;
  store: Store;
}

/**
 * Builds every dependency once (keys imported, one legacy verifier and key cache per IdP) and the app.
 * Shared by the Node entry, the CLI and tests; reads no environment.
 */
export async function composeBridge(input: {
  config: Config;
  clock: Clock;
  logger: Logger;
  store: Store;
  signingJwks: JWK[];
  fetch?: typeof fetch;
  /** false on Cloudflare Workers: a request must not await a key fetch another request started. */
  shareInflightFetches?: boolean;
  remoteAddress?: (c: BridgeContext) => string | undefined;
}): Promise<Bridge> {
  const { config, clock, logger, store } = input;
  const requiredAlgs = requiredSigningAlgs(config);
  const keys = await loadSigningKeys({ jwks: input.signingJwks, requiredAlgs, store, logger });
  const users = createUserDirectory({ store, clock, logger });
  const verifiers = new Map(
    config.identityProviders.map((idp) => [
      idp.id,
      createLegacyVerifier(idp, {
        clock,
        logger,
        ...(input.fetch && { fetch: input.fetch }),
        ...(input.shareInflightFetches !== undefined && { shareInflightFetches: input.shareInflightFetches }),
      }),
    ]),
  );
  const app = createApp({ config, clock, logger, store, keys, users, verifiers, ...(input.remoteAddress && { remoteAddress: input.remoteAddress }) });
  return { app, store };
}
