import type { Codes } from './codes.ts';
import { authenticateClient } from './checks/client-auth.ts';
import { verifyPkce } from './checks/pkce.ts';
import { readForm } from './checks/params.ts';
import type { BridgeContext, BridgeRuntime } from './deps.ts';
import { OAuthError, asTemporarilyUnavailable, invalidGrant, invalidRequest } from './errors.ts';
import type { Grants } from './grants.ts';
import { jsonError, jsonNoStore } from './responses.ts';
import { mintAccessToken, mintIdToken } from './token-minting.ts';

/** POST /token (RFC 6749 §3.2, §4.1.3). Only authorization_code for now; discovery advertises exactly that. */
export function createTokenHandler(runtime: BridgeRuntime, codes: Codes, grants: Grants) {
  const { config, clock, users, keys } = runtime;

  return async (c: BridgeContext): Promise<Response> => {
    const log = c.get('log');
    try {
      const params = await readForm(c);
      const duplicates = params.duplicates();
      if (duplicates.length) throw invalidRequest(`parameter ${duplicates[0]} must not be repeated`, 'DUPLICATE_PARAMETER');
      const client = await authenticateClient(c, runtime, params);
      const grantType = params.require('grant_type');
      if (grantType !== 'authorization_code') {
        throw new OAuthError('unsupported_grant_type', `grant_type ${grantType} is not supported`, { code: 'UNSUPPORTED_GRANT_TYPE' });
      }
      const code = params.require('code');
      const redirectUri = params.get('redirect_uri');
      const verifier = params.get('code_verifier');

      const redemption = await codes.redeem(code, async (grant) => {
        if (grant.clientId !== client.clientId) throw invalidGrant('the code was issued to another client', 'CODE_CLIENT_MISMATCH');
        if (redirectUri !== grant.redirectUri) throw invalidGrant('redirect_uri does not match the authorization request', 'CODE_REDIRECT_URI_MISMATCH');
        await verifyPkce(grant.codeChallenge, verifier);
      });
      if (redemption.status === 'unknown') throw invalidGrant('the code is invalid or expired', 'CODE_UNKNOWN');
      if (redemption.status === 'reused') {
        await grants.revoke(redemption.grant.grantId);
        log.warn({ event: 'code.reused', clientId: client.clientId, grantId: redemption.grant.grantId }, 'code presented again: grant revoked');
        throw invalidGrant('the code was already used', 'CODE_REUSED');
      }
      const { grant } = redemption;
      const user = await users.get(grant.userId);
      if (!user || user.disabled) throw invalidGrant('the user is no longer allowed to sign in', 'USER_UNAVAILABLE');

      const input = {
        issuer: config.issuer,
        client,
        grant,
        profile: user.profile,
        now: clock.now(),
        idTokenTtlSeconds: config.tokens.idTokenTtlSeconds,
        accessTokenTtlSeconds: config.tokens.accessTokenTtlSeconds,
      };
      const [idToken, accessToken] = await Promise.all([mintIdToken(input, keys), mintAccessToken(input, keys)]);
      log.info({ event: 'token.issued', clientId: client.clientId, userId: user.id, grantId: grant.grantId, grantType }, 'tokens issued');
      return jsonNoStore(c, {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: config.tokens.accessTokenTtlSeconds,
        id_token: idToken,
        scope: grant.scopes.join(' '),
      });
    } catch (error) {
      if (error instanceof OAuthError) {
        log.info({ event: 'token.rejected', code: error.code, detail: error.detail }, error.description);
        return jsonError(c, error);
      }
      const unavailable = asTemporarilyUnavailable(error);
      log.error({ event: 'store.failed', detail: unavailable.detail }, 'token request failed');
      return jsonError(c, unavailable);
    }
  };
}
