import { permitsExchange } from '../../config/token-exchange-schema.ts';
import { OAuthError, invalidRequest } from '../errors.ts';
import type { Params } from '../params.ts';
import type { Reason } from '../reasons.ts';
import type { BridgeContext, BridgeServices, Client } from '../services.ts';
import { ID_JAG_TOKEN_TYPE } from '../tokens/id-jag.ts';
import { createIdJagExchange } from './token-exchange-id-jag.ts';
import { createLegacyJwtExchange } from './token-exchange-legacy.ts';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 §3 token type identifiers, plus the ID-JAG draft's. */
export const TOKEN_TYPES = {
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  idJag: ID_JAG_TOKEN_TYPE,
} as const;

export const unauthorizedClient = (description: string, reason: Reason) => new OAuthError('unauthorized_client', description, { reason });

/**
 * grant_type=urn:ietf:params:oauth:grant-type:token-exchange (RFC 8693 §2), two paths, each allowed per client by its
 * `tokenExchange` policy (default deny), for confidential clients only:
 * - a legacy JWT (subject_token_type ...:jwt) → bridge tokens (token-exchange-legacy.ts);
 * - a bridge ID token issued to this client (...:id_token) → an ID-JAG (requested_token_type ...:id-jag,
 *   token-exchange-id-jag.ts).
 * Delegation (`actor_token`) is not supported. Refusals are logged as `token.exchange_refused` with their reason.
 */
export function createTokenExchangeGrant(services: BridgeServices) {
  const legacyJwt = createLegacyJwtExchange(services);
  const idJag = createIdJagExchange(services);

  return async (c: BridgeContext, client: Client, params: Params): Promise<Record<string, unknown>> => {
    c.set('route', { ...c.get('route'), rejectEvent: 'token.exchange_refused' });
    // RFC 8693 §2.1 leans on client authentication, and the ID-JAG draft (§4.3) forbids public clients.
    if (client.clientSecret === undefined && !client.assertionKeys) {
      throw unauthorizedClient('public clients may not use token exchange', 'public_client_not_allowed');
    }
    const policy = client.tokenExchange;
    if (!policy || !permitsExchange(policy)) throw unauthorizedClient('this client may not use token exchange', 'token_exchange_not_allowed');
    if (params.get('actor_token') !== undefined || params.get('actor_token_type') !== undefined) {
      throw invalidRequest('actor_token (delegation) is not supported', 'actor_token_unsupported');
    }
    const subjectToken = params.require('subject_token');
    const subjectType = params.require('subject_token_type');
    const requested = params.get('requested_token_type');

    if (requested === TOKEN_TYPES.idJag) {
      if (subjectType !== TOKEN_TYPES.idToken) {
        throw invalidRequest(`an ID-JAG is issued for subject_token_type ${TOKEN_TYPES.idToken}`, 'subject_token_type_unsupported');
      }
      if (!policy.idJag) throw unauthorizedClient('this client may not obtain ID-JAGs', 'token_exchange_not_allowed');
      return idJag(c, client, policy.idJag, subjectToken, params);
    }
    if (subjectType === TOKEN_TYPES.jwt) {
      if (requested !== undefined && requested !== TOKEN_TYPES.accessToken) {
        throw invalidRequest(`a legacy JWT is exchanged for requested_token_type ${TOKEN_TYPES.accessToken}`, 'requested_token_type_unsupported');
      }
      if (!policy.legacyJwt) throw unauthorizedClient('this client may not exchange legacy JWTs', 'token_exchange_not_allowed');
      return legacyJwt(c, client, policy, subjectToken, params);
    }
    if (subjectType === TOKEN_TYPES.idToken) {
      throw invalidRequest(`an ID token is exchanged only for requested_token_type ${TOKEN_TYPES.idJag}`, 'requested_token_type_unsupported');
    }
    throw invalidRequest('subject_token_type is not supported', 'subject_token_type_unsupported');
  };
}
