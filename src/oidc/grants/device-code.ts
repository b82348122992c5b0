import { bearerResponse, issueGrantTokens } from '../tokens/issue.ts';
import { OAuthError, invalidGrant } from '../errors.ts';
import type { Params } from '../params.ts';
import type { BridgeContext, BridgeServices, Client } from '../services.ts';

/**
 * grant_type=urn:ietf:params:oauth:grant-type:device_code (RFC 8628 §3.4-3.5): the client polls with its
 * device_code. Pending: authorization_pending; too soon after the last poll: slow_down (this code's interval +5 s);
 * expired: expired_token; denied (by the user or the client's access policy): access_denied. Approved: the tokens,
 * exactly once (the record's one CAS to `redeemed`), with the same rules as the code flow — an ID token when `openid`
 * was granted (with the legacy login's `amr`), a refresh token with `offline_access` for a refresh-token client.
 */
export function createDeviceCodeGrant(services: BridgeServices) {
  const { users, deviceCodes } = services;

  return async (c: BridgeContext, client: Client, params: Params): Promise<Record<string, unknown>> => {
    const log = c.get('log');
    const outcome = await deviceCodes.poll(params.require('device_code'), client.clientId);
    switch (outcome.status) {
      case 'unknown':
        throw invalidGrant('the device_code is invalid', 'device_code_unknown');
      case 'used':
        throw invalidGrant('the device_code was already used', 'device_code_used');
      case 'expired':
        throw new OAuthError('expired_token', 'the device_code has expired; start again', { reason: 'device_code_expired' });
      case 'denied':
        throw new OAuthError('access_denied', 'the authorization request was denied', {
          status: 400,
          reason: outcome.record?.deniedReason === 'policy' ? 'client_policy_denied' : 'device_denied',
        });
      case 'pending':
        throw new OAuthError('authorization_pending', 'the user has not approved the request yet', { reason: 'authorization_pending' });
      case 'slow_down':
        log.info(
          { event: 'device.polled_too_fast', reason: 'slow_down', intervalSeconds: outcome.record && outcome.record.intervalMs / 1000 },
          'polled too fast',
        );
        throw new OAuthError('slow_down', 'polling too fast; wait 5 seconds longer between requests', { reason: 'slow_down' });
    }
    const { record } = outcome;
    const login = record.login!;
    const user = await users.get(login.userId);
    if (!user || user.disabled) throw invalidGrant('the user is no longer allowed to sign in', 'user_unavailable');
    const grant = { ...login, scopes: record.scopes, idp: record.idp };
    const offline = client.grantTypes.includes('refresh_token') && record.scopes.includes('offline_access');
    const tokens = await issueGrantTokens(services, client, grant, user.profile, { idToken: record.scopes.includes('openid'), offline });
    log.info({ event: 'token.issued', userId: user.id, grantId: login.grantId, grantType: 'device_code', issued: tokens.issued }, 'tokens issued');
    return bearerResponse(tokens, record.scopes);
  };
}
