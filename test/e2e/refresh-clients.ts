/** Clients allowed the refresh_token grant, and the raw refresh request, shared by the refresh-token tests. */
import { IDP_SCOPE, basicAuth, tokenRequest, type AppClient } from '../helpers/app-client.ts';
import type { Stack } from '../helpers/stack.ts';

export const OFFLINE_APP = { clientId: 'offline-app', clientSecret: 'offline-app-secret-0123456789', redirectUri: 'http://localhost:7003/callback' };
export const OTHER_OFFLINE_APP = {
  clientId: 'other-offline-app',
  clientSecret: 'other-offline-secret-0123456789',
  redirectUri: 'http://localhost:7004/callback',
};
export const offlineClients = [OFFLINE_APP, OTHER_OFFLINE_APP].map((app) => ({
  clientId: app.clientId,
  clientSecret: app.clientSecret,
  redirectUris: [app.redirectUri],
  identityProviders: ['legacy'],
  grantTypes: ['authorization_code', 'refresh_token'],
}));
export const OFFLINE_SCOPE = `openid profile email offline_access ${IDP_SCOPE}`;

/** POST /token grant_type=refresh_token with the client's Basic credentials. */
export function refreshRequest(stack: Pick<Stack, 'issuer'>, client: AppClient, refreshToken: string | undefined, extra: Record<string, string> = {}) {
  return tokenRequest(
    stack as Stack,
    { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra },
    { headers: { authorization: basicAuth(client.clientId, client.clientSecret!) } },
  );
}
