import { OAuthError, invalidRequest } from '../errors.ts';
import type { Params } from '../params.ts';

/**
 * What this provider answers: the authorization code flow with query responses only (RFC 6749 §3.1.1, OAuth 2.0
 * Multiple Response Types §2.1), and no request objects (OIDC Core §3.1.2.6 names their error codes).
 */
export function checkResponseType(params: Params): void {
  if (params.get('request') !== undefined)
    throw new OAuthError('request_not_supported', 'request objects are not supported', { reason: 'request_object_unsupported' });
  if (params.get('request_uri') !== undefined)
    throw new OAuthError('request_uri_not_supported', 'request_uri is not supported', { reason: 'request_object_unsupported' });
  if (params.require('response_type') !== 'code') {
    throw new OAuthError('unsupported_response_type', 'only response_type=code is supported', { reason: 'unsupported_response_type' });
  }
  const responseMode = params.get('response_mode');
  if (responseMode !== undefined && responseMode !== 'query') throw invalidRequest('only response_mode=query is supported', 'unsupported_response_mode');
}
