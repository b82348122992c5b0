import { authenticateClient } from './checks/client-auth.ts';
import { verifyPkce } from './checks/pkce.ts';
import { OAuthError, invalidGrant } from './errors.ts';
import { readForm } from './params.ts';
import { jsonNoStore } from './responses.ts';
import type { BridgeContext, BridgeServices } from './services.ts';
import { mintAccessToken, mintIdToken } from './token-minting.ts';

/** POST /token (RFC 6749 §3.2, §4.1.3). Only authorization_code for now; discovery advertises exactly that. */
export function createTokenHandler(services: BridgeServices) {
  const { config, clock, users, keys, codes, grants } = services;

  return async (c: BridgeContext): Promise<Response> => {
    const params = await readForm(c);
    params.rejectDuplicates();
    const client = await authenticateClient(c, services, params);
    const log = c.get('log').child({ clientId: client.clientId });
    c.set('log', log);
    const grantType = params.require('grant_type');
    if (grantType !== 'authorization_code') {
      throw new OAuthError('unsupported_grant_type', 'this grant_type is not supported', { reason: 'unsupported_grant_type', detail: `grant_type ${grantType.slice(0, 80)}` });
    }
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
      await grants.revoke(redemption.grant.grantId);
      log.warn({ event: 'code.reused', grantId: redemption.grant.grantId }, 'code presented again: grant revoked');
      throw invalidGrant('the code was already used', 'code_reused');
    }
    const { grant } = redemption;
    const user = await users.get(grant.userId);
    if (!user || user.disabled) throw invalidGrant('the user is no longer allowed to sign in', 'user_unavailable');

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
    log.info({ event: 'token.issued', userId: user.id, grantId: grant.grantId, grantType }, 'tokens issued');
    return jsonNoStore(c, {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: config.tokens.accessTokenTtlSeconds,
      id_token: idToken,
      scope: grant.scopes.join(' '),
    });
  };
}
