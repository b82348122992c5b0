import type { ClientConfig, Config } from '../../config/schema.ts';

/**
 * A client's token lifetimes: its own `accessTokenTtlSeconds` / `idTokenTtlSeconds`, else the global `tokens`
 * figures. Unless the client sets `idTokenTtlSeconds` itself, the ID token lives at least as long as the access
 * token's `expires_in`: CLIs that keep only the ID token (jitsudo) use that figure as its lifetime.
 */
export function tokenLifetimes(config: Pick<Config, 'tokens'>, client: Pick<ClientConfig, 'accessTokenTtlSeconds' | 'idTokenTtlSeconds'>) {
  const accessTokenTtlSeconds = client.accessTokenTtlSeconds ?? config.tokens.accessTokenTtlSeconds;
  const idTokenTtlSeconds = client.idTokenTtlSeconds ?? Math.max(config.tokens.idTokenTtlSeconds, accessTokenTtlSeconds);
  return { accessTokenTtlSeconds, idTokenTtlSeconds };
}

/** The longest token lifetime any client has, in ms: revocation marks and sessions must outlive it. */
export function longestTokenLifetimeMs(config: Pick<Config, 'tokens' | 'clients'>): number {
  const all = [config.tokens, ...config.clients.map((client) => tokenLifetimes(config, client))];
  return Math.max(...all.flatMap((t) => [t.accessTokenTtlSeconds, t.idTokenTtlSeconds])) * 1000;
}
