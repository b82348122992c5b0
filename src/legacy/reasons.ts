import type { JWTPayload } from 'jose';

/**
 * Stable rejection codes of the verifier (DESIGN §4), used in logs, metrics and tests. Login outcomes decided after
 * verification (untrusted_proxy, user_not_registered, user_disabled) are in src/oidc/reasons.ts.
 */
export const LEGACY_REASONS = [
  'token_missing',
  'token_malformed',
  'alg_not_allowed',
  'signature_invalid',
  'unknown_kid',
  'issuer_mismatch',
  'audience_mismatch',
  'expired',
  'not_yet_valid',
  'too_old',
  'claim_mismatch',
  'keys_unavailable',
  'type_not_allowed',
] as const;

export type LegacyReason = (typeof LEGACY_REASONS)[number];

/** One line of the `token verify` trace. */
export interface VerificationCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export type LegacyVerification =
  | {
      ok: true;
      subject: string;
      claims: JWTPayload;
      profile: Record<string, unknown>;
      /** Epoch seconds: the legacy `auth_time`, else its `iat`; absent when the token carries neither. */
      authTime?: number;
      amr?: string[];
      checks: VerificationCheck[];
    }
  | {
      ok: false;
      reason: LegacyReason;
      /** Internal, for logs; never contains the token. */
      detail: string;
      checks: VerificationCheck[];
    };

/**
 * Thrown inside the verifier when a check fails; caught at the top of `verify*` and turned into a result.
 * `check` names the trace line that failed.
 */
export class LegacyRejection extends Error {
  readonly reason: LegacyReason;
  readonly check: string;
  readonly detail: string;

  constructor(reason: LegacyReason, check: string, detail: string) {
    super(`${reason}: ${check}: ${detail}`);
    this.name = 'LegacyRejection';
    this.reason = reason;
    this.check = check;
    this.detail = detail;
  }
}
