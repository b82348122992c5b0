import { errors } from 'jose';
import { KeySourceError } from './key-set.ts';
import { LegacyRejection, type LegacyReason } from './reasons.ts';

export interface Translated {
  reason: LegacyReason;
  /** Trace line that failed. */
  check: string;
  detail: string;
  /** For claim failures: the claim jose complained about and why ("missing", "invalid", "check_failed"). */
  claim?: { name: string; why: string; payload: Record<string, unknown> };
  /** Not a known failure mode: log it. */
  unexpected?: boolean;
}

/** Claim failures jose reports with reason "check_failed", by claim. Unlisted claims (typ, sub) are structural. */
const CHECK_FAILED: Record<string, LegacyReason> = {
  iss: 'issuer_mismatch',
  aud: 'audience_mismatch',
  nbf: 'not_yet_valid',
  iat: 'not_yet_valid', // the "too far in the past" case arrives as JWTExpired
  exp: 'expired',
};

/** A missing or ill-typed claim is structural, except iss and aud, whose absence is a mismatch with the configuration. */
const MISSING_OR_INVALID: Record<string, LegacyReason> = {
  iss: 'issuer_mismatch',
  aud: 'audience_mismatch',
};

/**
 * The one place where errors from jose (and from our key sources) become reason codes.
 * Reference: node_modules/jose/dist/webapi/{util/errors.js, lib/jws_verify.js, lib/jwt_claims_set.js, lib/key.js}.
 */
export function translateError(error: unknown): Translated {
  if (error instanceof LegacyRejection) return { reason: error.reason, check: error.check, detail: error.detail };
  if (error instanceof KeySourceError) return { reason: error.reason, check: 'key', detail: error.message };

  if (error instanceof errors.JWTExpired || error instanceof errors.JWTClaimValidationFailed) {
    const claim = { name: error.claim, why: error.reason, payload: error.payload as Record<string, unknown> };
    let reason: LegacyReason;
    if (error instanceof errors.JWTExpired) reason = error.claim === 'iat' ? 'too_old' : 'expired';
    else if (error.reason === 'check_failed') reason = CHECK_FAILED[error.claim] ?? 'token_malformed';
    else reason = MISSING_OR_INVALID[error.claim] ?? 'token_malformed';
    return { reason, check: error.claim, detail: error.message, claim };
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return { reason: 'alg_not_allowed', check: 'alg', detail: error.message };
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return { reason: 'signature_invalid', check: 'signature', detail: "the signature does not verify with the issuer's key" };
  }
  if (error instanceof errors.JWKSNoMatchingKey) return { reason: 'unknown_kid', check: 'key', detail: error.message };
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return { reason: 'keys_unavailable', check: 'key', detail: error.message };
  }
  if (error instanceof errors.JWTInvalid) return { reason: 'token_malformed', check: 'payload', detail: error.message };
  if (error instanceof errors.JWSInvalid || error instanceof errors.JOSENotSupported || error instanceof errors.JOSEError) {
    return { reason: 'token_malformed', check: 'format', detail: error.message };
  }
  // jose rejects keys it must not use with a TypeError at signature time (e.g. RSA modulus < 2048 bits, wrong curve).
  if (error instanceof TypeError && /key|modulus/i.test(error.message)) {
    return { reason: 'signature_invalid', check: 'signature', detail: `the issuer's key cannot be used: ${error.message}` };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { reason: 'token_malformed', check: 'verify', detail: `unexpected error: ${message}`, unexpected: true };
}
