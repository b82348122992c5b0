/** The refusal reasons of token exchange (RFC 8693), beside the legacy verifier's own codes (logged as `reason`). */
export const TOKEN_EXCHANGE_REASONS = [
  'token_exchange_not_allowed',
  'subject_token_type_unsupported',
  'requested_token_type_unsupported',
  'actor_token_unsupported',
  'subject_token_invalid',
  'subject_token_client_mismatch',
  'subject_token_revoked',
  'legacy_jwt_replayed',
  'target_not_allowed',
  'scope_not_allowed',
] as const;
