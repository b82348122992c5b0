import type { ClientConfig } from '../../config/schema.ts';
import { OAuthError, invalidRequest } from '../errors.ts';

export const IDP_SCOPE_PREFIX = 'urn:zitadel:iam:org:idp:id:';
export const SUPPORTED_SCOPES = ['openid', 'profile', 'email', 'groups'] as const;

/**
 * Parses the scope, requires `openid`, and selects the identity provider: the ZITADEL-compatible scope
 * `urn:zitadel:iam:org:idp:id:{id}`, else the client's first identity provider (DESIGN §2).
 * Unknown scopes are ignored (RFC 6749 §3.3 lets the server grant fewer), except the IdP scope.
 */
export function checkScope(client: ClientConfig, scope: string | undefined): { scopes: string[]; idp: string } {
  const requested = [...new Set((scope ?? '').split(' ').filter(Boolean))];
  if (!requested.includes('openid')) throw new OAuthError('invalid_scope', 'the openid scope is required', { reason: 'openid_scope_missing' });
  const idpScopes = requested.filter((s) => s.startsWith(IDP_SCOPE_PREFIX));
  if (idpScopes.length > 1) throw invalidRequest('only one identity provider scope may be requested', 'idp_scope_ambiguous');
  const idp = idpScopes.length ? idpScopes[0]!.slice(IDP_SCOPE_PREFIX.length) : client.identityProviders[0]!;
  if (!client.identityProviders.includes(idp)) throw invalidRequest('this client may not use the requested identity provider', 'idp_not_allowed');
  const scopes = requested.filter((s) => (SUPPORTED_SCOPES as readonly string[]).includes(s));
  return { scopes, idp };
}
