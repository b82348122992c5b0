import { IDP_SCOPE_PREFIX, SUPPORTED_SCOPES } from '../checks/scope.ts';
import { OAuthError, invalidGrant } from '../errors.ts';
import { runInBackground } from '../logout/end-sessions.ts';
import { checkClientAccess } from '../checks/client-access.ts';
import type { Params } from '../params.ts';
import type { BridgeContext, BridgeServices, Client } from '../services.ts';
import { mintAccessToken, mintIdToken } from '../tokens/minting.ts';
import { tokenLifetimes } from '../tokens/lifetimes.ts';

/**
 * grant_type=refresh_token (RFC 6749 §6, OIDC Core §12): rotates the token (one compareAndSwap on its family) and
 * returns new tokens for the same login: the ID token keeps `sub`, `auth_time` and `sid`. `scope` may narrow the
 * grant for this response only (the family keeps its scopes, RFC 6749 §6); a supported scope not granted, or another
 * IdP's scope, is invalid_scope. Unknown scopes and the login's own IdP scope are ignored, as at /authorize, so a
 * client may resend the scope string of its authorization request.
 */
export function createRefreshTokenGrant(services: BridgeServices) {
  const { config, clock, users, keys, grants, logout, refreshTokens } = services;

  return async (c: BridgeContext, client: Client, params: Params): Promise<Record<string, unknown>> => {
    const log = c.get('log');
    const token = params.require('refresh_token');
    const requested = params.get('scope')?.split(' ').filter(Boolean);
    let scopes: string[] = [];
    let profile: Record<string, unknown> = {};

    const rotation = await refreshTokens.rotate(token, client.clientId, async (family) => {
      const widened =
        requested?.filter((s) =>
          s.startsWith(IDP_SCOPE_PREFIX)
            ? s !== `${IDP_SCOPE_PREFIX}${family.idp}`
            : (SUPPORTED_SCOPES as readonly string[]).includes(s) && !family.scopes.includes(s),
        ) ?? [];
      if (widened.length) {
        throw new OAuthError('invalid_scope', 'the requested scope exceeds the granted scope', {
          reason: 'scope_widened',
          detail: `not granted: ${widened.slice(0, 5).join(' ').slice(0, 200)}`,
        });
      }
      scopes = requested ? family.scopes.filter((s) => requested.includes(s)) : family.scopes;
      if (await grants.isRevoked(family.grantId)) throw invalidGrant('the refresh token was revoked', 'refresh_token_revoked');
      const user = await users.get(family.userId);
      if (!user || user.disabled) throw invalidGrant('the user is no longer allowed to sign in', 'user_unavailable');
      // The client's access policy on the current profile (updated at each legacy login): a user who no longer
      // matches cannot refresh (the token stays unused; every later attempt is refused the same way).
      checkClientAccess(client, user, log, 'refresh');
      profile = user.profile;
    });
    if (rotation.status === 'unknown') throw invalidGrant('the refresh token is invalid or expired', 'refresh_token_unknown');
    if (rotation.status === 'foreign') throw invalidGrant('the refresh token is invalid or expired', 'refresh_token_client_mismatch');
    if (rotation.status === 'reused') {
      const { grantId, sid, userId } = rotation.family;
      runInBackground(c, (await logout.revokeGrant({ grantId, sid, clientId: client.clientId, userId }, 'refresh_reused', log)).delivery);
      log.warn(
        { event: 'refresh.reused', grantId: rotation.family.grantId, userId: rotation.family.userId },
        'rotated refresh token presented again: grant revoked',
      );
      throw invalidGrant('the refresh token was already used', 'refresh_token_reused');
    }
    const { family } = rotation;
    const input = {
      issuer: config.issuer,
      client,
      grant: { ...family, scopes },
      profile,
      now: clock.now(),
      ...tokenLifetimes(config, client),
    };
    const [idToken, accessToken] = await Promise.all([scopes.includes('openid') ? mintIdToken(input, keys) : undefined, mintAccessToken(input, keys)]);
    log.info({ event: 'refresh.rotated', userId: family.userId, grantId: family.grantId }, 'refresh token rotated');
    log.info(
      {
        event: 'token.issued',
        userId: family.userId,
        grantId: family.grantId,
        grantType: 'refresh_token',
        issued: ['access_token', ...(idToken !== undefined ? ['id_token'] : []), 'refresh_token'],
      },
      'tokens issued',
    );
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: input.accessTokenTtlSeconds,
      ...(idToken !== undefined && { id_token: idToken }),
      refresh_token: rotation.token,
      scope: scopes.join(' '),
    };
  };
}
