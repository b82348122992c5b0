import type { BridgeServices, Client } from '../services.ts';
import { tokenLifetimes } from './lifetimes.ts';
import { mintAccessToken, mintIdToken, type TokenGrant } from './minting.ts';

/** What a grant response carries, and the token types it issued (the `issued` field of the events). */
export interface IssuedTokens {
  accessToken: string;
  idToken?: string;
  refreshToken?: string;
  expiresIn: number;
  issued: string[];
}

/**
 * The tokens of one grant, minted the one way for every grant_type that starts a grant (code, device code, token
 * exchange): an access token; an ID token when asked for; a refresh token family only when `offline` (the caller
 * decides: the refresh_token grant and `offline_access`, or a token-exchange policy) — with the client's lifetimes.
 */
export async function issueGrantTokens(
  services: Pick<BridgeServices, 'config' | 'clock' | 'keys' | 'refreshTokens'>,
  client: Client,
  grant: TokenGrant & { idp: string },
  profile: Record<string, unknown>,
  options: { idToken: boolean; offline: boolean },
): Promise<IssuedTokens> {
  const { config, clock, keys, refreshTokens } = services;
  const input = { issuer: config.issuer, client, grant, profile, now: clock.now(), ...tokenLifetimes(config, client) };
  const [accessToken, idToken] = await Promise.all([mintAccessToken(input, keys), options.idToken ? mintIdToken(input, keys) : undefined]);
  const refreshToken = options.offline
    ? await refreshTokens.issue(
        {
          clientId: client.clientId,
          userId: grant.userId,
          idp: grant.idp,
          scopes: grant.scopes,
          sid: grant.sid,
          grantId: grant.grantId,
          authTime: grant.authTime,
          ...(grant.amr && { amr: grant.amr }),
        },
        { idleSeconds: client.refreshTokenIdleSeconds, absoluteSeconds: client.refreshTokenAbsoluteSeconds },
      )
    : undefined;
  return {
    accessToken,
    ...(idToken !== undefined && { idToken }),
    ...(refreshToken !== undefined && { refreshToken }),
    expiresIn: input.accessTokenTtlSeconds,
    issued: ['access_token', ...(idToken !== undefined ? ['id_token'] : []), ...(refreshToken !== undefined ? ['refresh_token'] : [])],
  };
}

/** The RFC 6749 §5.1 body for issued tokens. */
export function bearerResponse(tokens: IssuedTokens, scopes: string[]): Record<string, unknown> {
  return {
    access_token: tokens.accessToken,
    token_type: 'Bearer',
    expires_in: tokens.expiresIn,
    ...(tokens.idToken !== undefined && { id_token: tokens.idToken }),
    ...(tokens.refreshToken !== undefined && { refresh_token: tokens.refreshToken }),
    ...(scopes.length > 0 && { scope: scopes.join(' ') }),
  };
}
