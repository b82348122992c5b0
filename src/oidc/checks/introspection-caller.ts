import { safeEqual } from '../../crypto.ts';
import { OAuthError } from '../errors.ts';
import type { Params } from '../params.ts';
import type { BridgeContext, BridgeServices, Client } from '../services.ts';
import { authenticateClient, readCredentials } from './client-auth.ts';

/** Who may introspect (RFC 7662 §2.1): a confidential client (its own tokens only) or a configured resource server. */
export type IntrospectionCaller = { kind: 'client'; client: Client } | { kind: 'resource_server'; id: string };

/**
 * A resource server (`resourceServers[]`, ids distinct from client ids) with HTTP Basic or client_secret_post; else a
 * client as at /token, which must be confidential: a public client proves nothing about itself.
 */
export async function authenticateIntrospectionCaller(c: BridgeContext, services: BridgeServices, params: Params): Promise<IntrospectionCaller> {
  const credentials = readCredentials(c, params);
  const resourceServer = credentials.method === 'private_key_jwt' ? undefined : services.config.resourceServers.find((rs) => rs.id === credentials.id);
  if (!resourceServer) {
    const client = await authenticateClient(c, services, params, credentials);
    if (client.authMethods.every((method) => method === 'none')) {
      throw new OAuthError('invalid_client', 'client authentication failed', {
        reason: 'public_client_not_allowed',
        detail: `public client ${client.clientId} at introspection`,
      });
    }
    return { kind: 'client', client };
  }
  const presented = credentials.secret;
  if (presented === undefined || !(await safeEqual(presented, resourceServer.secret))) {
    throw new OAuthError('invalid_client', 'client authentication failed', { reason: 'client_auth_failed', detail: `resource server ${resourceServer.id}` });
  }
  return { kind: 'resource_server', id: resourceServer.id };
}
