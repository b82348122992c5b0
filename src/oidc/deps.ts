import type { Context } from 'hono';
import type { Clock } from '../clock.ts';
import type { ClientConfig, Config } from '../config/schema.ts';
import type { UserDirectory } from '../identity/user.ts';
import type { SigningKeys } from '../keys/signing-keys.ts';
import type { LegacyVerifier } from '../legacy/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store } from '../storage/port.ts';

/** Everything the protocol layer needs, built once by a runtime entry and passed to createApp. */
export interface BridgeDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  store: Store;
  keys: SigningKeys;
  users: UserDirectory;
  /** One verifier per identity provider, built once (each owns its cached key source). */
  verifiers: ReadonlyMap<string, LegacyVerifier>;
  /** The peer address of the connection, from the runtime (for trustedProxy.sourceCidrs). */
  remoteAddress?: (c: Context) => string | undefined;
}

export type BridgeEnv = { Variables: { requestId: string; log: Logger } };
export type BridgeContext = Context<BridgeEnv>;

/** Derived lookups, computed once at startup. */
export interface BridgeRuntime extends BridgeDeps {
  clients: ReadonlyMap<string, ClientConfig>;
  /** Cookies get the `__Host-` prefix and `Secure` only when the issuer is https (DESIGN §10). */
  secureCookies: boolean;
}

export function createRuntime(deps: BridgeDeps): BridgeRuntime {
  return {
    ...deps,
    clients: new Map(deps.config.clients.map((client) => [client.clientId, client])),
    secureCookies: deps.config.issuer.startsWith('https://'),
  };
}
