import { authenticateClient } from '../checks/client-auth.ts';
import { checkDeviceScope } from '../device/scope.ts';
import { displayUserCode } from '../device/user-code.ts';
import { OAuthError } from '../errors.ts';
import { readForm } from '../params.ts';
import { jsonNoStore } from '../responses.ts';
import type { BridgeContext, BridgeServices } from '../services.ts';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * POST /device_authorization (RFC 8628 §3.1-3.2). The client authenticates as at /token (public clients send only
 * their client_id) and must be allowed the device code grant. Public clients are unauthenticated, so starts are
 * limited per client and minute (`device.startsPerMinutePerClient`): the pending codes a stranger can create are
 * bounded by that figure times the code lifetime in minutes, per configured client.
 */
export function createDeviceAuthorizationHandler(services: BridgeServices) {
  const { config, deviceCodes, rateLimiter } = services;
  const verificationUri = `${config.issuer}/device`;

  return async (c: BridgeContext): Promise<Response> => {
    const params = await readForm(c);
    params.rejectDuplicates();
    const client = await authenticateClient(c, services, params);
    c.set('log', c.get('log').child({ clientId: client.clientId }));
    if (!client.grantTypes.includes(DEVICE_CODE_GRANT)) {
      throw new OAuthError('unauthorized_client', 'this client may not use the device authorization grant', {
        reason: 'grant_type_not_allowed',
        detail: 'device_code not in grantTypes',
      });
    }
    const { scopes, idp } = checkDeviceScope(client, params.get('scope'));
    if (!(await rateLimiter.hit(`device-start:${client.clientId}`, config.device.startsPerMinutePerClient, 60_000))) {
      throw new OAuthError('temporarily_unavailable', 'too many device authorizations for this client; try again in a minute', {
        status: 429,
        reason: 'device_rate_limited',
        headers: { 'Retry-After': '60' },
      });
    }
    const { deviceCode, userCode } = await deviceCodes.start({ clientId: client.clientId, scopes, idp });
    c.get('log').info({ event: 'device.started', idp, scopes: scopes.join(' ') }, 'device authorization started');
    const shown = displayUserCode(userCode);
    return jsonNoStore(c, {
      device_code: deviceCode,
      user_code: shown,
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?user_code=${shown}`,
      expires_in: config.device.codeTtlSeconds,
      interval: config.device.intervalSeconds,
    });
  };
}
