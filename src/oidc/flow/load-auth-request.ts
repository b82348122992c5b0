import type { PendingAuthRequest } from './auth-requests.ts';
import { EXPIRED_AUTH_REQUEST, pageError, type ErrorPage } from '../errors.ts';
import type { BridgeContext, BridgeServices, Client, IdentityProvider } from '../services.ts';

export interface ActiveAuthRequest {
  ar: PendingAuthRequest;
  /** The `authRequestID` as the browser carries it (the sealed request). */
  authRequestId: string;
  client: Client;
  idp: IdentityProvider;
}

/**
 * The first step of the JWT endpoint and the callback: exactly one `authRequestID`, sealed by this bridge, not
 * expired, whose client, IdP and redirect_uri are still configured (a redeploy may have removed them). Otherwise the
 * person sees the expired page: there is nowhere safe to redirect (DESIGN §10). On success, errors may go to its
 * redirect_uri.
 */
export async function openAuthRequestOrExpire(c: BridgeContext, services: BridgeServices, page: ErrorPage = EXPIRED_AUTH_REQUEST): Promise<ActiveAuthRequest> {
  const ids = new URL(c.req.url).searchParams.getAll('authRequestID');
  const authRequestId = ids.length === 1 ? ids[0]! : '';
  const ar = await services.authRequests.open(authRequestId);
  const client = ar && services.clients.get(ar.clientId);
  const idp = ar && services.idps.get(ar.idp);
  const device = ar?.deviceHash !== undefined;
  if (
    !ar ||
    !client ||
    !idp ||
    !client.identityProviders.includes(idp.id) ||
    (device ? !client.grantTypes.includes('urn:ietf:params:oauth:grant-type:device_code') : !client.redirectUris.includes(ar.redirectUri))
  ) {
    const detail = ar ? `the auth request names a client, IdP or redirect_uri that is no longer configured (client ${ar.clientId}, idp ${ar.idp})` : undefined;
    throw pageError('auth_request_unknown', page, detail);
  }
  c.set('log', c.get('log').child({ authRequestId: ar.id, clientId: ar.clientId, idp: ar.idp }));
  // A device approval has no application to go back to: its errors are pages.
  if (!device) c.set('redirectTarget', { redirectUri: ar.redirectUri, state: ar.state, issuer: client.responseIssuer });
  return { ar, authRequestId, client, idp };
}
