import { bearerResponse, issueGrantTokens } from '../tokens/issue.ts';
import { verifyPkce } from '../checks/pkce.ts';
import { invalidGrant } from '../errors.ts';
import { runInBackground } from '../logout/end-sessions.ts';
import type { Params } from '../params.ts';
import type { BridgeContext, BridgeServices, Client } from '../services.ts';

/** grant_type=authorization_code (RFC 6749 §4.1.3, OIDC Core §3.1.3): one code, redeemed once, by its own client. */
export function createAuthorizationCodeGrant(services: BridgeServices) {
  const { users, codes, logout } = services;

  return async (c: BridgeContext, client: Client, params: Params): Promise<Record<string, unknown>> => {
    const log = c.get('log');
    const code = params.require('code');
    const redirectUri = params.get('redirect_uri');
    const verifier = params.get('code_verifier');

    const redemption = await codes.redeem(code, client.clientId, async (grant) => {
      if (grant.clientId !== client.clientId) throw invalidGrant('the code was issued to another client', 'code_client_mismatch');
      if (redirectUri !== grant.redirectUri) throw invalidGrant('redirect_uri does not match the authorization request', 'code_redirect_uri_mismatch');
      await verifyPkce(grant.codeChallenge, verifier);
    });
    if (redemption.status === 'unknown') throw invalidGrant('the code is invalid or expired', 'code_unknown');
    if (redemption.status === 'reused') {
      const { grantId, sid, userId } = redemption.grant;
      runInBackground(c, (await logout.revokeGrant({ grantId, sid, clientId: client.clientId, userId }, 'code_reused', log)).delivery);
      log.warn({ event: 'code.reused', grantId }, 'code presented again: grant revoked');
      throw invalidGrant('the code was already used', 'code_reused');
    }
    const { grant } = redemption;
    const user = await users.get(grant.userId);
    if (!user || user.disabled) throw invalidGrant('the user is no longer allowed to sign in', 'user_unavailable');

    // A refresh token only with the grant and offline_access (which checkScope grants only to such clients).
    const offline = client.grantTypes.includes('refresh_token') && grant.scopes.includes('offline_access');
    const tokens = await issueGrantTokens(services, client, grant, user.profile, { idToken: true, offline });
    log.info({ event: 'token.issued', userId: user.id, grantId: grant.grantId, grantType: 'authorization_code', issued: tokens.issued }, 'tokens issued');
    return bearerResponse(tokens, grant.scopes);
  };
}
