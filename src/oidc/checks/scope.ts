import type { ClientConfig } from '../../config/schema.ts';
import { OAuthError, invalidRequest } from '../errors.ts';

export const IDP_SCOPE_PREFIX = 'urn:zitadel:iam:org:idp:id:';
export const SUPPORTED_SCOPES = ['openid', 'profile', 'email', 'groups', 'offline_access'] as const;

/**
 * Parses the scope, requires `openid`, and selects the identity provider: the ZITADEL-compatible scope
 * `urn:zitadel:iam:org:idp:id:{id}`, else the client's first identity provider (DESIGN §2).
 * Unknown scopes are ignored (RFC 6749 §3.3 lets the server grant fewer), except the IdP scope. `offline_access` (a
 * refresh token, OIDC Core §11) is granted only to a client allowed the refresh_token grant, else dropped; no
 * `prompt=consent` is asked for it: the bridge serves first-party apps, whose users gave no consent screen anyway.
 */
export function checkScope(client: ClientConfig, scope: string | undefined): { scopes: string[]; idp: string } {
  const requested = [...new Set((scope ?? '').split(' ').filter(Boolean))];
  if (!requested.includes('openid')) throw new OAuthError('invalid_scope', 'the openid scope is required', { reason: 'openid_scope_missing' });
  const idpScopes = requested.filter((s) => s.startsWith(IDP_SCOPE_PREFIX));
  if (idpScopes.length > 1) throw invalidRequest('only one identity provider scope may be requested', 'idp_scope_ambiguous');
  const idp = idpScopes.length ? idpScopes[0]!.slice(IDP_SCOPE_PREFIX.length) : client.identityProviders[0]!;
  if (!client.identityProviders.includes(idp)) throw invalidRequest('this client may not use the requested identity provider', 'idp_not_allowed');
  const offline = client.grantTypes.includes('refresh_token');
  const scopes = requested.filter((s) => (SUPPORTED_SCOPES as readonly string[]).includes(s) && (s !== 'offline_access' || offline));
  return { scopes, idp };
}
