/** Clients with token exchange policies, and the raw exchange request, shared by the token exchange tests. */
import * as oidc from 'openid-client';
import { basicAuth, discoverApp, tokenRequest, type AppClient, type ParamValue } from '../helpers/app-client.ts';
import type { Stack } from '../helpers/stack.ts';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const TOKEN_TYPE = {
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  idJag: 'urn:ietf:params:oauth:token-type:id-jag',
} as const;

const app = (clientId: string, port: number) => ({ clientId, clientSecret: `${clientId}-secret-0123456789`, redirectUri: `http://localhost:${port}/callback` });
/** Both paths, refresh tokens allowed, ID-JAGs for the test's resource AS and one other. */
export const EXCHANGE_APP = app('exchange-app', 7011);
/** Also may obtain ID-JAGs for the resource AS: its ID-JAGs carry its own client_id. */
export const OTHER_EXCHANGE_APP = app('other-exchange-app', 7012);
/** Legacy JWTs only, the defaults: no refresh token, each jti once, no ID-JAG. */
export const LEGACY_ONLY_APP = app('legacy-only-app', 7013);
/** Legacy JWTs with jti replay protection off. */
export const REPLAYABLE_APP = app('replayable-app', 7014);
/** Legacy JWTs, for members of ops-admins only (clients[].access). */
export const OPS_ONLY_APP = app('ops-only-app', 7015);
export const OTHER_AUDIENCE = 'https://other-as.example.com';
export const ID_JAG_SCOPES = ['todos.read', 'todos.write'];

export function exchangeClients(resourceAs: string): Record<string, unknown>[] {
  const base = (client: AppClient) => ({
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    redirectUris: [client.redirectUri],
    identityProviders: ['legacy'],
  });
  return [
    {
      ...base(EXCHANGE_APP),
      grantTypes: ['authorization_code', 'refresh_token'],
      tokenExchange: { legacyJwt: true, allowRefreshToken: true, idJag: { audiences: [resourceAs, OTHER_AUDIENCE], scopes: ID_JAG_SCOPES } },
    },
    { ...base(OTHER_EXCHANGE_APP), tokenExchange: { idJag: { audiences: [resourceAs], scopes: ['todos.read'], lifetimeSeconds: 60 } } },
    { ...base(LEGACY_ONLY_APP), grantTypes: ['authorization_code', 'refresh_token'], tokenExchange: { legacyJwt: true } },
    { ...base(REPLAYABLE_APP), tokenExchange: { legacyJwt: true, singleUseLegacyJwt: false } },
    { ...base(OPS_ONLY_APP), tokenExchange: { legacyJwt: true }, access: { requireClaims: { groups: 'ops-admins' } } },
  ];
}

/** POST /token grant_type=token-exchange with the client's Basic credentials (or none for a public client). */
export function exchangeRequest(stack: Stack, client: Pick<AppClient, 'clientId' | 'clientSecret'>, form: Record<string, ParamValue>) {
  const headers = client.clientSecret ? { authorization: basicAuth(client.clientId, client.clientSecret) } : undefined;
  return tokenRequest(
    stack,
    { grant_type: TOKEN_EXCHANGE, ...(client.clientSecret ? {} : { client_id: client.clientId }), ...form },
    headers ? { headers } : {},
  );
}

/** openid-client v6, as a back-end service uses it: genericGrantRequest with the token exchange grant. */
export async function exchangeWithOpenIdClient(stack: Stack, client: AppClient, parameters: Record<string, string>) {
  return oidc.genericGrantRequest(await discoverApp(stack, client), TOKEN_EXCHANGE, parameters);
}
