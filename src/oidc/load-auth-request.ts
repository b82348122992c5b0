import type { LoadedAuthRequest } from './auth-requests.ts';
import { EXPIRED_AUTH_REQUEST, pageError, type ErrorPage } from './errors.ts';
import type { BridgeContext, BridgeServices, Client, IdentityProvider } from './services.ts';

export interface ActiveAuthRequest {
  loaded: LoadedAuthRequest;
  client: Client;
  idp: IdentityProvider;
}

/**
 * The first step of the JWT endpoint and the callback: exactly one `authRequestID`, naming a live auth request
 * whose client and IdP are still configured (a redeploy may have removed them). Otherwise the person sees the
 * expired page: there is nowhere safe to redirect (DESIGN §10). On success, errors may go to its redirect_uri.
 */
export async function loadAuthRequestOrExpire(c: BridgeContext, services: BridgeServices, page: ErrorPage = EXPIRED_AUTH_REQUEST): Promise<ActiveAuthRequest> {
  const ids = new URL(c.req.url).searchParams.getAll('authRequestID');
  const loaded = ids.length === 1 ? await services.authRequests.load(ids[0]) : null;
  const client = loaded && services.clients.get(loaded.record.clientId);
  const idp = loaded && services.idps.get(loaded.record.idp);
  if (!loaded || !client || !idp || !client.identityProviders.includes(idp.id) || !client.redirectUris.includes(loaded.record.redirectUri)) {
    const detail = loaded ? `auth request names a client, IdP or redirect_uri that is no longer configured (client ${loaded.record.clientId}, idp ${loaded.record.idp})` : undefined;
    throw pageError('auth_request_unknown', page, detail);
  }
  const ar = loaded.record;
  c.set('log', c.get('log').child({ authRequestId: ar.id, clientId: ar.clientId, idp: ar.idp }));
  c.set('redirectTarget', { redirectUri: ar.redirectUri, state: ar.state, issuer: client.responseIssuer });
  return { loaded, client, idp };
}
