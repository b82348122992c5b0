import type { IdentityProviderConfig } from '../config/schema.ts';
import type { LegacyReason, VerificationCheck } from './reasons.ts';
import { summarize } from './rules.ts';

/** A trace line for a registered claim, with the reason to use when it fails. */
export interface ClaimLine extends VerificationCheck {
  reason?: LegacyReason;
}

/** The order in which jose validates these claims' values (jwt_claims_set.js), so the trace reads like what happened. */
export const CLAIM_ORDER = ['iss', 'aud', 'nbf', 'exp', 'iat'] as const;

type Idp = Pick<IdentityProviderConfig, 'issuer' | 'audiences' | 'clockToleranceSeconds' | 'maxTokenAgeSeconds'>;

/**
 * Describes iss, aud, nbf, exp and iat with the same arithmetic as jose (epoch seconds, tolerance on both sides),
 * plus one rule jose only applies with maxTokenAge: an `iat` in the future beyond the tolerance is not yet valid.
 * nbf appears only when present. `detailed: false` decides the same but leaves passing lines' details empty: the
 * verifier's hot path needs only the failures, and writes the trace's lines (detailed) only when it is read.
 */
export function describeClaims(claims: Record<string, unknown>, idp: Idp, nowSeconds: number, detailed = true): ClaimLine[] {
  const tolerance = idp.clockToleranceSeconds;
  const lines: ClaimLine[] = [];
  const fail = (name: string, reason: LegacyReason, detail: string) => lines.push({ name, ok: false, reason, detail });
  const pass = (name: string, detail: () => string) => lines.push({ name, ok: true, detail: detailed ? detail() : '' });

  const iss = claims.iss;
  if (iss === idp.issuer) pass('iss', () => `${JSON.stringify(iss)} matches exactly`);
  else if (iss === undefined) fail('iss', 'issuer_mismatch', `absent; expected ${JSON.stringify(idp.issuer)}`);
  else fail('iss', 'issuer_mismatch', `${summarize(iss)} is not ${JSON.stringify(idp.issuer)} (exact comparison)`);

  const aud = claims.aud;
  if (!idp.audiences.length) pass('aud', () => `not checked (allowAnyAudience: true)${aud === undefined ? '' : `; token has ${summarize(aud)}`}`);
  else {
    const values = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    const hit = idp.audiences.find((wanted) => values.includes(wanted));
    if (hit) pass('aud', () => `${summarize(aud)} contains ${JSON.stringify(hit)}`);
    else fail('aud', 'audience_mismatch', `${aud === undefined ? 'absent' : summarize(aud)}; expected one of ${JSON.stringify(idp.audiences)}`);
  }

  const nbf = claims.nbf;
  if (nbf !== undefined) {
    if (typeof nbf !== 'number' || !Number.isFinite(nbf)) fail('nbf', 'token_malformed', `${summarize(nbf)} is not a NumericDate`);
    else if (nbf > nowSeconds + tolerance) fail('nbf', 'not_yet_valid', `${iso(nbf)} (valid only in ${duration(nbf - nowSeconds)}; tolerance ${tolerance}s)`);
    else
      pass(
        'nbf',
        () =>
          `${iso(nbf)} (${nbf > nowSeconds ? `in ${duration(nbf - nowSeconds)}, within the ${tolerance}s tolerance` : `valid since ${duration(nowSeconds - nbf)}`})`,
      );
  }

  const exp = claims.exp;
  if (exp === undefined) fail('exp', 'token_malformed', 'absent (exp is required)');
  else if (typeof exp !== 'number' || !Number.isFinite(exp)) fail('exp', 'token_malformed', `${summarize(exp)} is not a NumericDate`);
  else if (exp <= nowSeconds - tolerance) fail('exp', 'expired', `${iso(exp)} (expired ${duration(nowSeconds - exp)} ago; tolerance ${tolerance}s)`);
  else if (exp <= nowSeconds) pass('exp', () => `${iso(exp)} (expired ${duration(nowSeconds - exp)} ago, within the ${tolerance}s tolerance)`);
  else pass('exp', () => `${iso(exp)} (expires in ${duration(exp - nowSeconds)})`);

  const iat = claims.iat;
  const maxAge = idp.maxTokenAgeSeconds;
  if (iat === undefined) {
    if (maxAge !== null) fail('iat', 'token_malformed', `absent (required when maxTokenAgeSeconds is set)`);
    else pass('iat', () => 'absent (no maximum token age configured)');
  } else if (typeof iat !== 'number' || !Number.isFinite(iat)) fail('iat', 'token_malformed', `${summarize(iat)} is not a NumericDate`);
  else {
    const age = nowSeconds - iat;
    const limit = () => (maxAge === null ? 'no maximum age' : `max age ${duration(maxAge)}`);
    if (age < -tolerance) fail('iat', 'not_yet_valid', `${iso(iat)} (issued ${duration(-age)} in the future; tolerance ${tolerance}s)`);
    else if (maxAge !== null && age - tolerance > maxAge)
      fail('iat', 'too_old', `${iso(iat)} (issued ${duration(age)} ago; ${limit()}, tolerance ${tolerance}s)`);
    else pass('iat', () => `${iso(iat)} (${age < 0 ? `${duration(-age)} in the future, within the tolerance` : `issued ${duration(age)} ago`}; ${limit()})`);
  }

  // OIDC Core §2: auth_time is when the user authenticated; one in the future cannot be true (and would pass max_age).
  const authTime = claims.auth_time;
  if (typeof authTime === 'number' && Number.isFinite(authTime)) {
    if (authTime > nowSeconds + tolerance)
      fail('auth_time', 'not_yet_valid', `${iso(authTime)} (${duration(authTime - nowSeconds)} in the future; tolerance ${tolerance}s)`);
    else
      pass(
        'auth_time',
        () =>
          `${iso(authTime)} (${authTime > nowSeconds ? `${duration(authTime - nowSeconds)} in the future, within the tolerance` : `${duration(nowSeconds - authTime)} ago`})`,
      );
  }
  return lines;
}

function iso(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}

/** "0s", "42s", "4m 12s", "3m", "2h", "1h 0m 31s", "3d 4h". */
export function duration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s >= 86400) {
    const hours = Math.floor((s % 86400) / 3600);
    return `${Math.floor(s / 86400)}d${hours ? ` ${hours}h` : ''}`;
  }
  const parts = [
    [Math.floor(s / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ] as const;
  const first = parts.findIndex(([value]) => value > 0);
  if (first < 0) return '0s';
  let last = parts.length - 1;
  while (last > first && parts[last]![0] === 0) last--;
  return parts
    .slice(first, last + 1)
    .map(([value, unit]) => `${value}${unit}`)
    .join(' ');
}
