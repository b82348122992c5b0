import { randomToken } from '../../crypto.ts';
import { checkClientAccess } from '../checks/client-access.ts';
import { OAuthError } from '../errors.ts';
import type { AuthenticatedAuthRequest } from '../flow/auth-requests.ts';
import type { BridgeContext, BridgeServices, Client } from '../services.ts';
import { messagePage } from './pages.ts';

/**
 * The end of a device approval, at the callback once the browser binding and completion value were checked like a
 * web login's: the user must still be allowed (enabled, the client's access policy), then the device record turns
 * approved with this login — its next poll gets the tokens — and the person reads "return to your terminal".
 */
export async function completeDeviceApproval(c: BridgeContext, services: BridgeServices, ar: AuthenticatedAuthRequest, client: Client): Promise<Response> {
  const { users, deviceCodes, sessions } = services;
  const log = c.get('log');
  const deviceHash = ar.deviceHash!;
  const user = await users.get(ar.login.userId);
  if (!user || user.disabled) throw new OAuthError('access_denied', 'the user is no longer allowed to sign in', { reason: 'user_unavailable' });
  try {
    checkClientAccess(client, user, log, 'device');
  } catch (error) {
    await deviceCodes.settle(deviceHash, ar.bindingHash, { status: 'denied', reason: 'policy' });
    log.info({ event: 'device.denied', reason: 'client_policy_denied', userId: user.id }, 'device authorization denied by the client policy');
    throw error;
  }
  const sid = randomToken(16);
  const grantId = randomToken(16);
  const login = { userId: user.id, authTime: ar.login.authTime, ...(ar.login.amr && { amr: ar.login.amr }), sid, grantId };
  if (!(await deviceCodes.settle(deviceHash, ar.bindingHash, { status: 'approved', login }))) {
    return messagePage(c, {
      title: 'Request expired',
      message: 'This sign-in request has expired or was already answered. Start again on your device.',
      status: 400,
    });
  }
  await sessions.record(sid, { grantId, clientId: client.clientId, idp: ar.idp, userId: user.id });
  log.info({ event: 'device.approved', userId: user.id, grantId }, 'device authorization approved');
  return messagePage(c, {
    title: 'Device connected',
    message: `You are signed in to ${client.clientId}. You can return to your terminal and close this window.`,
  });
}
