import { LEGACY_REASONS } from '../legacy/reasons.ts';
import { TOKEN_EXCHANGE_REASONS } from './grants/token-exchange-reasons.ts';

/**
 * Every outcome reason of the protocol layer, lower_snake like the legacy verifier's (whose codes are a documented
 * contract and are included as they are). Logged as the field `reason`; the metric label of the same name uses it.
 */
export const REASONS = [
  ...LEGACY_REASONS,
  // login outcomes after the legacy JWT (documented with the legacy reason codes)
  'untrusted_proxy',
  'user_not_registered',
  'user_disabled',
  // request shape
  'invalid_request',
  'duplicate_parameter',
  'missing_parameter',
  'parameter_too_long',
  'unsupported_content_type',
  'request_object_unsupported',
  'unsupported_response_type',
  'unsupported_response_mode',
  'unsupported_grant_type',
  'prompt_invalid',
  'prompt_login_unsupported',
  'max_age_invalid',
  'openid_scope_missing',
  'idp_scope_ambiguous',
  'idp_not_allowed',
  // clients
  'client_unknown',
  'redirect_uri_unregistered',
  'client_auth_failed',
  'client_id_mismatch',
  'multiple_client_auth',
  'client_auth_method_mismatch',
  'client_assertion_type_unsupported',
  'client_assertion_invalid',
  'client_assertion_replayed',
  'client_keys_unavailable',
  // RP-initiated logout
  'id_token_hint_invalid',
  'post_logout_redirect_uri_unregistered',
  // PKCE (RFC 7636)
  'pkce_required',
  'pkce_invalid',
  'pkce_method_not_supported',
  'pkce_missing_verifier',
  'pkce_invalid_verifier',
  'pkce_unexpected_verifier',
  'pkce_mismatch',
  // the browser flow
  'auth_request_unknown',
  'auth_request_replayed',
  'max_age_exceeded',
  'binding_failed',
  // codes and tokens
  'code_unknown',
  'code_reused',
  'code_client_mismatch',
  'code_redirect_uri_mismatch',
  'user_unavailable',
  'access_token_missing',
  'access_token_invalid',
  'access_token_revoked',
  'grant_type_not_allowed',
  'refresh_token_unknown',
  'refresh_token_reused',
  'refresh_token_client_mismatch',
  'refresh_token_revoked',
  'scope_widened',
  'public_client_not_allowed',
  // device authorization grant (RFC 8628) and per-client access policy
  'authorization_pending',
  'slow_down',
  'device_code_unknown',
  'device_code_expired',
  'device_code_used',
  'device_denied',
  'device_rate_limited',
  'user_code_invalid',
  'user_code_rate_limited',
  'user_code_bound_elsewhere',
  'csrf_invalid',
  'client_policy_denied',
  // token exchange (RFC 8693, ID-JAG)
  ...TOKEN_EXCHANGE_REASONS,
  // the service itself
  'store_unavailable',
  'server_error',
] as const;

export type Reason = (typeof REASONS)[number];
