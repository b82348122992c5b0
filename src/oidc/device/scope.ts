import type { ClientConfig } from '../../config/schema.ts';
import { checkScope } from '../checks/scope.ts';

/**
 * The scope of a device authorization: the same rules as /authorize (IdP selection by the ZITADEL scope, unknown
 * scopes dropped, offline_access only for refresh-token clients), except that `openid` is optional: without it the
 * client gets an access token and no ID token (RFC 8628 is OAuth, not OIDC).
 */
export function checkDeviceScope(client: ClientConfig, scope: string | undefined): { scopes: string[]; idp: string } {
  const requested = (scope ?? '').split(' ').filter(Boolean);
  if (requested.includes('openid')) return checkScope(client, scope);
  const checked = checkScope(client, ['openid', ...requested].join(' '));
  return { ...checked, scopes: checked.scopes.filter((s) => s !== 'openid') };
}
