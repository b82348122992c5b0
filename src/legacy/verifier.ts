import { decodeProtectedHeader, errors, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { Clock } from '../clock.ts';
import type { IdentityProviderConfig } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import { CLAIM_ORDER, describeClaims } from './claim-checks.ts';
import { mapClaims } from './claim-mapping.ts';
import { extractToken } from './header.ts';
import { describeQuery, type KeyQuery } from './key-set.ts';
import { createKeySourceFor } from './key-source.ts';
import { LegacyRejection, type LegacyVerification, type VerificationCheck } from './reasons.ts';
import { checkBoundClaims, summarize } from './rules.ts';
import { translateError } from './translate.ts';

export interface LegacyVerifier {
  readonly idp: IdentityProviderConfig;
  /** Reads the token from the configured header. `log`: the request's logger (events carry its request id). */
  verifyHeaders(headers: Headers, log?: Logger): Promise<LegacyVerification>;
  /** Verifies a token given directly (token exchange, `token verify`); same checks as for a header value. */
  verifyToken(token: string, log?: Logger): Promise<LegacyVerification>;
}

export interface LegacyVerifierDeps {
  clock: Clock;
  logger: Logger;
  fetch?: typeof fetch;
  /** Passed to the key source: false on Cloudflare Workers (see KeySourceDeps). */
  shareInflightFetches?: boolean;
}

const MAX_SUB_LENGTH = 255;
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * Verifies legacy session JWTs for one IdP (DESIGN §4). The key source is built here, once; every `verify*`
 * call resolves to a result (never throws) with an ordered trace that stops at the first failing check.
 */
export function createLegacyVerifier(idp: IdentityProviderConfig, deps: LegacyVerifierDeps): LegacyVerifier {
  const { clock, logger } = deps;
  const keySource = createKeySourceFor(idp, deps);

  async function verify(raw: string | null, label: string, source: string, log: Logger): Promise<LegacyVerification> {
    const checks: VerificationCheck[] = [];
    let now = clock.now();
    let alg = '';
    try {
      const { token, check } = extractToken(raw, label, source);
      checks.push(check);
      const query = inspectHeader(token, idp, checks);
      alg = query.alg;
      const resolved = await keySource.resolve(query, log);
      const candidates = resolved.keys.length > 1 ? `; ${resolved.keys.length} candidate keys` : '';
      checks.push({ name: 'key', ok: true, detail: `${describeQuery(query)} found in ${resolved.from}${candidates}` });

      now = clock.now();
      let verified: { payload: JWTPayload; key: CryptoKey };
      try {
        verified = await verifyWithKeys(token, resolved.keys, jwtOptions(idp, now));
      } catch (error) {
        // The issuer may have replaced a key under the same kid: one rate-limited refetch, then the failure stands.
        const retry = error instanceof errors.JWSSignatureVerificationFailed && (await keySource.retryAfterSignatureFailure?.(query, resolved.keys, log));
        if (!retry) throw error;
        checks.push({ name: 'key', ok: true, detail: `${describeQuery(query)} found in ${retry.from}` });
        verified = await verifyWithKeys(token, retry.keys, jwtOptions(idp, now));
      }
      keySource.confirm?.(verified.key);
      const claims = verified.payload;
      checks.push({ name: 'signature', ok: true, detail: `${query.alg} signature verifies` });
      for (const line of describeClaims(claims, idp, Math.floor(now / 1000))) {
        // jose has validated these; the only rule it leaves to us is an iat in the future when no maxTokenAge is set.
        if (!line.ok) throw new LegacyRejection(line.reason ?? 'token_malformed', line.name, line.detail);
        checks.push({ name: line.name, ok: true, detail: line.detail });
      }
      const subject = checkSubject(claims.sub);
      checks.push({ name: 'sub', ok: true, detail: JSON.stringify(subject) });
      const bound = checkBoundClaims(claims, idp);
      checks.push(...bound.checks);
      if (bound.failed) throw new LegacyRejection('claim_mismatch', bound.failed.name, bound.failed.detail);

      return {
        ok: true,
        subject,
        claims,
        profile: mapClaims(claims, idp.claimMappings, { idpId: idp.id, log }),
        ...authTimeOf(claims),
        ...amrOf(claims),
        checks,
      };
    } catch (error) {
      const failure = translateError(error);
      let detail = failure.detail;
      if (failure.claim) {
        // jose validates claims only after the signature: show that it passed, then the claims it checked before failing.
        checks.push({ name: 'signature', ok: true, detail: `${alg} signature verifies` });
        const lines = describeClaims(failure.claim.payload, idp, Math.floor(now / 1000));
        const position = (CLAIM_ORDER as readonly string[]).indexOf(failure.claim.name);
        if (failure.claim.why !== 'missing' && position > 0) {
          for (const line of lines) {
            if (!line.ok || (CLAIM_ORDER as readonly string[]).indexOf(line.name) >= position) break;
            checks.push({ name: line.name, ok: true, detail: line.detail });
          }
        }
        const own = lines.find((line) => line.name === failure.claim?.name);
        detail = own && !own.ok ? own.detail : failure.claim.why === 'missing' ? `absent (${failure.claim.name} is required)` : detail;
      }
      if (failure.unexpected) log.warn({ event: 'legacy.verify_error', idp: idp.id, error: failure.detail });
      checks.push({ name: failure.check, ok: false, detail });
      return { ok: false, reason: failure.reason, detail: `${failure.check}: ${detail}`, checks };
    }
  }

  return {
    idp,
    verifyHeaders: (headers, log = logger) => verify(headers.get(idp.headerName), 'header', `header ${idp.headerName}`, log),
    verifyToken: (token, log = logger) => verify(token, 'token', 'token', log),
  };
}

function jwtOptions(idp: IdentityProviderConfig, now: number): JWTVerifyOptions {
  return {
    algorithms: idp.algorithms,
    issuer: idp.issuer,
    audience: idp.audiences.length ? idp.audiences : undefined,
    clockTolerance: idp.clockToleranceSeconds,
    maxTokenAge: idp.maxTokenAgeSeconds ?? undefined,
    requiredClaims: ['exp', 'sub'],
    currentDate: new Date(now),
    crit: {},
  };
}

/** Structure, alg and header checks, before any key is looked up. Returns the only header fields the key source may see. */
function inspectHeader(token: string, idp: IdentityProviderConfig, checks: VerificationCheck[]): KeyQuery {
  const segments = token.split('.');
  if (segments.length === 5) throw new LegacyRejection('token_malformed', 'format', '5 segments: an encrypted JWE, not a signed JWT');
  if (segments.length !== 3) {
    throw new LegacyRejection('token_malformed', 'format', `${segments.length} segment(s); a signed JWT has 3 (header.payload.signature)`);
  }
  const [encodedHeader = '', payload = '', signature = ''] = segments;
  // An empty signature is left to jose (it fails as signature_invalid) so that `alg: none` tokens reach the alg check.
  const bad = !SEGMENT.test(encodedHeader) ? 'header' : !SEGMENT.test(payload) ? 'payload' : signature && !SEGMENT.test(signature) ? 'signature' : undefined;
  if (bad) throw new LegacyRejection('token_malformed', 'format', `the ${bad} segment is empty or not base64url`);
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
  } catch {
    throw new LegacyRejection('token_malformed', 'format', 'the header segment is not a base64url-encoded JSON object');
  }
  checks.push({ name: 'format', ok: true, detail: '3 base64url segments, JSON header' });

  const alg = header.alg;
  if (typeof alg !== 'string' || !alg) throw new LegacyRejection('token_malformed', 'alg', 'the header has no alg');
  const allowed = idp.algorithms.join(', ');
  if (!idp.algorithms.includes(alg)) {
    const never = /^none$/i.test(alg) ? '; unsigned tokens are never accepted' : /^HS/i.test(alg) ? '; HMAC is never accepted' : '';
    throw new LegacyRejection('alg_not_allowed', 'alg', `${summarize(alg)} is not allowed (allowed: ${allowed})${never}`);
  }
  checks.push({ name: 'alg', ok: true, detail: `${alg} (allowed: ${allowed})` });

  if (idp.types) checks.push(checkType(header.typ, idp.types));

  if (header.crit !== undefined) {
    throw new LegacyRejection('token_malformed', 'header', `crit ${summarize(header.crit)}: no JWS extension is supported`);
  }
  if (typeof header.cty === 'string' && /^(application\/)?jwt$/i.test(header.cty)) {
    throw new LegacyRejection('token_malformed', 'header', `cty ${JSON.stringify(header.cty)}: nested JWTs are not accepted`);
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') throw new LegacyRejection('token_malformed', 'header', 'kid is not a string');
  const kid = header.kid as string | undefined;
  // Keys come only from the configured source; headers naming a key are ignored entirely (never fetched, never used).
  const ignored = ['jku', 'x5u', 'jwk', 'x5c'].filter((name) => name in header);
  const note = ignored.length ? `; ignored ${ignored.join(', ')} (keys come only from the configured source)` : '';
  checks.push({ name: 'header', ok: true, detail: `${kid === undefined ? 'no kid' : `kid ${JSON.stringify(kid)}`}${note}` });
  return kid === undefined ? { alg } : { alg, kid };
}

/**
 * The `typ` header against the configured `types` (RFC 7515 §4.1.9: media types compare case-insensitively, and
 * "application/" may be left out when no other "/" appears, so "application/jwt" equals "JWT").
 */
function checkType(typ: unknown, types: readonly string[]): VerificationCheck {
  const allowed = types.join(', ');
  if (typ === undefined) throw new LegacyRejection('type_not_allowed', 'typ', `absent (allowed: ${allowed})`);
  if (typeof typ !== 'string' || !types.some((wanted) => normalizeType(wanted) === normalizeType(typ))) {
    throw new LegacyRejection('type_not_allowed', 'typ', `${summarize(typ)} is not allowed (allowed: ${allowed})`);
  }
  return { name: 'typ', ok: true, detail: `${JSON.stringify(typ)} (allowed: ${allowed})` };
}

export function normalizeType(value: string): string {
  const lower = value.toLowerCase();
  return lower.startsWith('application/') && !lower.slice('application/'.length).includes('/') ? lower.slice('application/'.length) : lower;
}

/** Several candidate keys only when the token has no kid: the first whose signature verifies wins. */
async function verifyWithKeys(token: string, keys: CryptoKey[], options: JWTVerifyOptions): Promise<{ payload: JWTPayload; key: CryptoKey }> {
  // Built only when no key was tried: an error (and its stack trace) per verification was a top frame under load.
  let lastError: unknown;
  for (const key of keys) {
    try {
      return { payload: (await jwtVerify(token, key, options)).payload, key };
    } catch (error) {
      if (!(error instanceof errors.JWSSignatureVerificationFailed)) throw error;
      lastError = error;
    }
  }
  throw lastError ?? new errors.JWKSNoMatchingKey();
}

function checkSubject(sub: unknown): string {
  if (typeof sub !== 'string') throw new LegacyRejection('token_malformed', 'sub', `${summarize(sub)} is not a string`);
  if (!sub.length) throw new LegacyRejection('token_malformed', 'sub', 'is empty');
  if (sub.length > MAX_SUB_LENGTH) throw new LegacyRejection('token_malformed', 'sub', `is ${sub.length} characters, over ${MAX_SUB_LENGTH}`);
  return sub;
}

/** Unknown stays unknown: the login flow must not pass a max_age check on a guessed time. */
function authTimeOf(claims: JWTPayload): { authTime?: number } {
  const authTime = claims.auth_time;
  if (typeof authTime === 'number' && Number.isFinite(authTime)) return { authTime: Math.floor(authTime) };
  if (typeof claims.iat === 'number' && Number.isFinite(claims.iat)) return { authTime: Math.floor(claims.iat) };
  return {};
}

function amrOf(claims: JWTPayload): { amr?: string[] } {
  const amr = claims.amr;
  return Array.isArray(amr) && amr.length && amr.every((value) => typeof value === 'string') ? { amr: [...amr] } : {};
}
