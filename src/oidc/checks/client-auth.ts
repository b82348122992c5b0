import { safeEqual } from '../../crypto.ts';
import type { BridgeContext, BridgeServices, Client } from '../services.ts';
import { OAuthError, invalidRequest } from '../errors.ts';
import type { Params } from '../params.ts';
import type { Reason } from '../reasons.ts';
import type { TokenEndpointAuthMethod } from '../../config/client-auth.ts';
import { authenticateAssertion } from './client-assertion.ts';

const invalidClient = (detail: string, reason: Reason = 'client_auth_failed') =>
  new OAuthError('invalid_client', 'client authentication failed', { reason, detail });

function decodeBasicPart(value: string): string {
  // RFC 6749 §2.3.1: client_id and secret are form-urlencoded before base64.
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

function readBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  let decoded: string;
  try {
    decoded = atob(header.slice(6).trim());
  } catch {
    throw invalidClient('malformed Basic credentials');
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalidClient('malformed Basic credentials');
  try {
    return { id: decodeBasicPart(decoded.slice(0, colon)), secret: decodeBasicPart(decoded.slice(colon + 1)) };
  } catch {
    throw invalidClient('malformed Basic credentials');
  }
}

/** What a request presents to authenticate its caller, by exactly one method. */
export interface Credentials {
  method: TokenEndpointAuthMethod;
  id: string | undefined;
  secret?: string | undefined;
  assertion?: string | undefined;
  assertionType?: string | undefined;
}

/**
 * The caller's credentials: HTTP Basic, client_secret_post, a client assertion, or a bare client_id. More than one
 * method in one request, or a client_id beside Basic credentials of another, is invalid_request (RFC 6749 §2.3).
 */
export function readCredentials(c: BridgeContext, params: Params): Credentials {
  const basic = readBasic(c.req.header('authorization'));
  const postId = params.get('client_id');
  const postSecret = params.get('client_secret');
  const assertion = params.get('client_assertion');
  const assertionType = params.get('client_assertion_type');
  const usesAssertion = assertion !== undefined || assertionType !== undefined;
  if ([basic !== undefined, postSecret !== undefined, usesAssertion].filter(Boolean).length > 1) {
    throw invalidRequest('use only one client authentication method', 'multiple_client_auth');
  }
  if (usesAssertion) return { method: 'private_key_jwt', id: postId, assertion, assertionType };
  if (basic && postId !== undefined && postId !== basic.id) throw invalidRequest('client_id does not match the authenticated client', 'client_id_mismatch');
  if (basic) return { method: 'client_secret_basic', id: basic.id, secret: basic.secret };
  return postSecret !== undefined ? { method: 'client_secret_post', id: postId, secret: postSecret } : { method: 'none', id: postId };
}

/**
 * Authenticates the client at a back-channel endpoint: client_secret_basic, client_secret_post, private_key_jwt
 * (client-assertion.ts), or `none` (client_id only) for public clients. Exactly one method per request (RFC 6749
 * §2.3), and the one the client is registered with (`tokenEndpointAuthMethod`, OIDC Core §9).
 */
export async function authenticateClient(
  c: BridgeContext,
  services: BridgeServices,
  params: Params,
  credentials = readCredentials(c, params),
): Promise<Client> {
  if (credentials.method === 'private_key_jwt') return authenticateAssertion(services, credentials.id, credentials.assertion, credentials.assertionType);
  const { id: clientId, secret: presented, method } = credentials;
  if (clientId === undefined) throw invalidClient('no client identification');
  const client = services.clients.get(clientId);
  if (!client) {
    // Same work as for a known client, so timing does not reveal which client ids exist.
    await safeEqual(presented ?? '', 'unknown-client');
    throw invalidClient(`unknown client ${clientId}`);
  }
  if (client.clientSecret === undefined) {
    if (presented !== undefined)
      throw invalidClient(
        client.assertionKeys ? 'private_key_jwt client presented a secret' : 'public client presented a secret',
        'client_auth_method_mismatch',
      );
    if (client.assertionKeys) throw invalidClient('private_key_jwt client sent no client_assertion', 'client_auth_method_mismatch');
    return client;
  }
  if (presented === undefined) throw invalidClient('confidential client without a secret');
  if (!client.authMethods.includes(method)) {
    throw invalidClient(`client registered for ${client.authMethods.join('/')} used ${method}`, 'client_auth_method_mismatch');
  }
  if (!(await safeEqual(presented, client.clientSecret))) throw invalidClient('wrong client secret');
  return client;
}
