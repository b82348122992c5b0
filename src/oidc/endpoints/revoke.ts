import { authenticateClient } from '../checks/client-auth.ts';
import { readForm } from '../params.ts';
import type { BridgeContext, BridgeServices } from '../services.ts';
import { verifyAccessToken } from '../tokens/access-tokens.ts';

/**
 * POST /revoke (RFC 7009): the authenticated client (a public one by its client_id) revokes a refresh token — its
 * family and the grant, so the grant's access tokens fail at userinfo and introspection — or an access token (its
 * grant, by `gid`). `token_type_hint` picks which kind is tried first. Another client's token, an unknown one or
 * garbage: 200 and nothing revoked (§2.2), so the answer tells nobody whether a token exists.
 */
export function createRevokeHandler(services: BridgeServices) {
  const { grants, refreshTokens } = services;

  return async (c: BridgeContext): Promise<Response> => {
    const params = await readForm(c);
    params.rejectDuplicates();
    const client = await authenticateClient(c, services, params);
    const log = c.get('log').child({ clientId: client.clientId });
    const token = params.require('token');
    const hint = params.get('token_type_hint');

    const asRefresh = async () => {
      const family = await refreshTokens.revoke(token, client.clientId);
      return family && { grantId: family.grantId, userId: family.userId, tokenType: 'refresh_token' };
    };
    const asAccess = async () => {
      const checked = await verifyAccessToken(services, token);
      if (!checked.ok || checked.payload.client_id !== client.clientId) return undefined;
      return { grantId: String(checked.payload.gid), userId: String(checked.payload.sub), tokenType: 'access_token' };
    };
    const order = hint === 'access_token' ? [asAccess, asRefresh] : [asRefresh, asAccess];
    let revoked: { grantId: string; userId: string; tokenType: string } | undefined;
    for (const attempt of order) {
      revoked = await attempt();
      if (revoked) break;
    }
    if (revoked) {
      await grants.revoke(revoked.grantId);
      log.info({ event: 'token.revoked', grantId: revoked.grantId, userId: revoked.userId, tokenType: revoked.tokenType }, 'token revoked');
    }
    return c.body(null, 200, { 'Cache-Control': 'no-store' });
  };
}
