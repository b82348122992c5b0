import type { Context } from 'hono';
import type { Clock } from '../clock.ts';
import type { ClientConfig, Config, IdentityProviderConfig } from '../config/schema.ts';
import type { UserDirectory } from '../identity/user.ts';
import { createSealer, type Sealer } from '../keys/sealing-keys.ts';
import type { SigningKeys } from '../keys/signing-keys.ts';
import type { LegacyVerifier } from '../legacy/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store } from '../storage/port.ts';
import { createAuthRequests, type AuthRequests } from './flow/auth-requests.ts';
import { createTrustedProxyCheck, type TrustedProxyCheck } from './checks/trusted-proxy.ts';
import { createCodes, type Codes } from './flow/codes.ts';
import { buildDiscovery } from './endpoints/discovery.ts';
import { createGrants, type Grants } from './tokens/grants.ts';
import { createRefreshTokens, type RefreshTokens } from './tokens/refresh-tokens.ts';
import type { JWTVerifyGetKey } from 'jose';
import { allowedAuthMethods, type TokenEndpointAuthMethod } from '../config/client-auth.ts';
import { clientAssertionKeys } from './checks/client-assertion.ts';
import { createSessions, type Sessions } from './tokens/sessions.ts';
import { createBackchannel } from './logout/backchannel.ts';
import { createLogout, type Logout } from './logout/end-sessions.ts';
import { createDeviceCodes, type DeviceCodes } from './device/device-codes.ts';
import { createRateLimiter, type RateLimiter } from './device/rate-limit.ts';
import { longestTokenLifetimeMs } from './tokens/lifetimes.ts';

/** Everything the protocol layer needs from outside, built once by a runtime entry and passed to createApp. */
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

/** How a route answers when something fails: a browser (page or error redirect) or a client/API (JSON). */
export type Channel = 'front' | 'back';

/** Where a front-channel error may be redirected: set by a handler only once client and redirect_uri are verified. */
export interface RedirectTarget {
  redirectUri: string;
  state?: string | undefined;
  /** RFC 9207 `iss`; undefined for clients with authorizationResponseIss: false. */
  issuer: string | undefined;
}

export type BridgeEnv = {
  Variables: {
    requestId: string;
    log: Logger;
    /** The route table row's name and channel, set before its handler runs. */
    route: { name: string; channel: Channel; rejectEvent: string };
    redirectTarget: RedirectTarget | undefined;
  };
};
export type BridgeContext = Context<BridgeEnv>;

/** One identity provider as the protocol layer uses it: its config, verifier and trusted-proxy check. */
export interface IdentityProvider extends IdentityProviderConfig {
  verifier: LegacyVerifier;
  checkProxy: TrustedProxyCheck;
}

/** One client: its config plus what is derived from it. */
export interface Client extends ClientConfig {
  /** The `iss` of its authorization responses (RFC 9207), or undefined when switched off for this client. */
  responseIssuer: string | undefined;
  /** The methods it may authenticate with at /token (checks/client-auth.ts). */
  authMethods: readonly TokenEndpointAuthMethod[];
  /** private_key_jwt: its public keys (inline jwks or jwksUri), built once; undefined for other methods. */
  assertionKeys: JWTVerifyGetKey | undefined;
}

/** The protocol layer's services, built once at startup from the deps (one record per IdP and per client). */
export interface BridgeServices extends BridgeDeps {
  idps: ReadonlyMap<string, IdentityProvider>;
  clients: ReadonlyMap<string, Client>;
  /** Cookies get the `__Host-` prefix and `Secure` only when the issuer is https (DESIGN §10). */
  secureCookies: boolean;
  callbackUrl: string;
  /** Seals what the bridge hands out and must get back unchanged, so that unauthenticated requests store nothing. */
  sealer: Sealer;
  authRequests: AuthRequests;
  codes: Codes;
  grants: Grants;
  refreshTokens: RefreshTokens;
  /** sid → grant, for RP-initiated logout. */
  sessions: Sessions;
  /** Ends sessions (logout, reuse, disabled users) and sends the back-channel logout tokens. */
  logout: Logout;
  discovery: Record<string, unknown>;
  /** RFC 8628 device authorizations, and the store-backed counters that bound them. */
  deviceCodes: DeviceCodes;
  rateLimiter: RateLimiter;
}

export function createServices(deps: BridgeDeps): BridgeServices {
  const { config, store, clock } = deps;
  const tokens = config.tokens;
  const idps = new Map(
    config.identityProviders.map((idp): [string, IdentityProvider] => [
      idp.id,
      { ...idp, verifier: deps.verifiers.get(idp.id)!, checkProxy: createTrustedProxyCheck(idp, deps.remoteAddress) },
    ]),
  );
  const clients = new Map(
    config.clients.map((client): [string, Client] => [
      client.clientId,
      {
        ...client,
        responseIssuer: client.authorizationResponseIss ? config.issuer : undefined,
        authMethods: allowedAuthMethods(client),
        assertionKeys: clientAssertionKeys(client),
      },
    ]),
  );
  const { grants, sessions, logout } = createSessionServices({ config, store, clock, keys: deps.keys });
  const sealer = createSealer({ store, clock, retainMs: tokens.authRequestTtlSeconds * 1000 });
  return {
    ...deps,
    idps,
    clients,
    secureCookies: config.issuer.startsWith('https://'),
    callbackUrl: `${config.issuer}/login/jwt/callback`,
    sealer,
    authRequests: createAuthRequests(store, sealer, tokens.authRequestTtlSeconds * 1000, clock),
    codes: createCodes(store, { clock, ttlMs: tokens.codeTtlSeconds * 1000, reuseWindowMs: longestTokenLifetimeMs(config) }),
    grants,
    refreshTokens: createRefreshTokens(store, clock),
    sessions,
    logout,
    discovery: buildDiscovery(config, deps.keys),
    deviceCodes: createDeviceCodes(store, clock, { ttlMs: config.device.codeTtlSeconds * 1000, intervalMs: config.device.intervalSeconds * 1000 }),
    rateLimiter: createRateLimiter(store, () => clock.now()),
  };
}

/**
 * Grants, sessions and logout, as the bridge and the admin CLI (`users disable`) both need them. A grant's revocation
 * mark and a session's mapping outlive the grant's access tokens and every refresh token family it may have, so that
 * logout still finds them.
 */
export function createSessionServices(input: { config: Config; store: Store; clock: Clock; keys: SigningKeys }): {
  grants: Grants;
  sessions: Sessions;
  logout: Logout;
} {
  const { config, store, clock, keys } = input;
  const refreshLifetimeMs = Math.max(
    0,
    ...config.clients.filter((c) => c.grantTypes.includes('refresh_token')).map((c) => c.refreshTokenAbsoluteSeconds * 1000),
  );
  const markTtlMs = Math.max(longestTokenLifetimeMs(config), refreshLifetimeMs);
  const grants = createGrants(store, markTtlMs);
  const sessions = createSessions(store, markTtlMs);
  const backchannel = createBackchannel({
    issuer: config.issuer,
    clock,
    keys,
    clients: new Map(config.clients.map((client) => [client.clientId, client])),
    timeoutMs: config.backchannelLogout.timeoutSeconds * 1000,
    attempts: config.backchannelLogout.attempts,
  });
  return { grants, sessions, logout: createLogout({ grants, sessions, backchannel }) };
}
