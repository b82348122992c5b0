import { safeEqual } from '../../crypto.ts';
import { OAuthError, invalidRequest } from '../errors.ts';
import type { Params } from '../params.ts';
import type { BridgeContext, BridgeServices, Client } from '../services.ts';
import { authenticateClient, readBasic } from './client-auth.ts';

/** Who may introspect (RFC 7662 §2.1): a confidential client (its own tokens only) or a configured resource server. */
export type IntrospectionCaller = { kind: 'client'; client: Client } | { kind: 'resource_server'; id: string };

/**
 * A resource server (`resourceServers[]`, ids distinct from client ids) with HTTP Basic or client_secret_post; else a
 * client as at /token, which must be confidential: a public client proves nothing about itself.
 */
export async function authenticateIntrospectionCaller(c: BridgeContext, services: BridgeServices, params: Params): Promise<IntrospectionCaller> {
  const basic = readBasic(c.req.header('authorization'));
  const postId = params.get('client_id');
  const resourceServer = services.config.resourceServers.find((rs) => rs.id === (basic?.id ?? postId));
  if (!resourceServer) {
    const client = await authenticateClient(c, services, params);
    if (client.authMethods.every((method) => method === 'none')) {
      throw new OAuthError('invalid_client', 'client authentication failed', {
        reason: 'public_client_not_allowed',
        detail: `public client ${client.clientId} at introspection`,
      });
    }
    return { kind: 'client', client };
  }
  const postSecret = params.get('client_secret');
  if (basic && postSecret !== undefined) throw invalidRequest('use only one client authentication method', 'multiple_client_auth');
  if (basic && postId !== undefined && postId !== basic.id) throw invalidRequest('client_id does not match the authenticated client', 'client_id_mismatch');
  const presented = basic?.secret ?? postSecret;
  if (presented === undefined || !(await safeEqual(presented, resourceServer.secret))) {
    throw new OAuthError('invalid_client', 'client authentication failed', { reason: 'client_auth_failed', detail: `resource server ${resourceServer.id}` });
  }
  return { kind: 'resource_server', id: resourceServer.id };
}
