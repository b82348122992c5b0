import { decodeProtectedHeader, errors, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { Clock } from '../clock.ts';
import type { IdentityProviderConfig } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import { CLAIM_ORDER, type ClaimLine, describeClaims } from './claim-checks.ts';
import { mapClaims } from './claim-mapping.ts';
import { extractToken } from './header.ts';
import { describeQuery, type KeyQuery } from './key-set.ts';
import { createKeySourceFor } from './key-source.ts';
import { LegacyRejection, type LegacyVerification, type VerificationCheck } from './reasons.ts';
import { checkBoundClaims, summarize } from './rules.ts';
import { createTrace, type Trace } from './trace.ts';
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
 * call resolves to a result (never throws) with an ordered trace that stops at the first failing check, written only
 * when `checks` is read (trace.ts).
 */
export function createLegacyVerifier(idp: IdentityProviderConfig, deps: LegacyVerifierDeps): LegacyVerifier {
  const { clock, logger } = deps;
  const keySource = createKeySourceFor(idp, deps);

  async function verify(raw: string | null, label: string, source: string, log: Logger): Promise<LegacyVerification> {
    const trace = createTrace();
    let now = clock.now();
    let alg = '';
    try {
      const { token, detail } = extractToken(raw, label, source);
      trace.pass(label, detail);
      const query = inspectHeader(token, idp, trace);
      alg = query.alg;
      const resolved = await keySource.resolve(query, log);
      trace.pass(
        'key',
        () => `${describeQuery(query)} found in ${resolved.from()}${resolved.keys.length > 1 ? `; ${resolved.keys.length} candidate keys` : ''}`,
      );

      now = clock.now();
      let verified: { payload: JWTPayload; key: CryptoKey };
      try {
        verified = await verifyWithKeys(token, resolved.keys, jwtOptions(idp, now));
      } catch (error) {
        // The issuer may have replaced a key under the same kid: one rate-limited refetch, then the failure stands.
        const retry = error instanceof errors.JWSSignatureVerificationFailed && (await keySource.retryAfterSignatureFailure?.(query, resolved.keys, log));
        if (!retry) throw error;
        trace.pass('key', () => `${describeQuery(query)} found in ${retry.from()}`);
        verified = await verifyWithKeys(token, retry.keys, jwtOptions(idp, now));
      }
      keySource.confirm?.(verified.key);
      const claims = verified.payload;
      trace.pass('signature', () => `${alg} signature verifies`);
      const nowSeconds = Math.floor(now / 1000);
      // jose has validated these; the only rule it leaves to us is an iat in the future when no maxTokenAge is set.
      const failed = describeClaims(claims, idp, nowSeconds, false).find((line) => !line.ok);
      trace.later(() => passedClaims(describeClaims(claims, idp, nowSeconds)));
      if (failed) throw new LegacyRejection(failed.reason ?? 'token_malformed', failed.name, failed.detail);
      const subject = checkSubject(claims.sub);
      trace.pass('sub', () => JSON.stringify(subject));
      const bound = checkBoundClaims(claims, idp);
      trace.later(bound.passed);
      if (bound.failed) throw new LegacyRejection('claim_mismatch', bound.failed.name, bound.failed.detail);

      return {
        ok: true,
        subject,
        claims,
        profile: mapClaims(claims, idp.claimMappings, { idpId: idp.id, log }),
        ...authTimeOf(claims),
        ...amrOf(claims),
        get checks() {
          return trace.read();
        },
      };
    } catch (error) {
      const failure = translateError(error);
      let detail = failure.detail;
      if (failure.claim) {
        // jose validates claims only after the signature: show that it passed, then the claims it checked before failing.
        trace.pass('signature', () => `${alg} signature verifies`);
        const lines = describeClaims(failure.claim.payload, idp, Math.floor(now / 1000));
        const position = (CLAIM_ORDER as readonly string[]).indexOf(failure.claim.name);
        if (failure.claim.why !== 'missing' && position > 0) {
          trace.later(() => passedClaims(lines, (line) => (CLAIM_ORDER as readonly string[]).indexOf(line.name) >= position));
        }
        const own = lines.find((line) => line.name === failure.claim?.name);
        detail = own && !own.ok ? own.detail : failure.claim.why === 'missing' ? `absent (${failure.claim.name} is required)` : detail;
      }
      if (failure.unexpected) log.warn({ event: 'legacy.verify_error', idp: idp.id, error: failure.detail });
      trace.add({ name: failure.check, ok: false, detail });
      return {
        ok: false,
        reason: failure.reason,
        detail: `${failure.check}: ${detail}`,
        get checks() {
          return trace.read();
        },
      };
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
function inspectHeader(token: string, idp: IdentityProviderConfig, trace: Trace): KeyQuery {
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
  trace.pass('format', () => '3 base64url segments, JSON header');

  const alg = header.alg;
  if (typeof alg !== 'string' || !alg) throw new LegacyRejection('token_malformed', 'alg', 'the header has no alg');
  if (!idp.algorithms.includes(alg)) {
    const allowed = idp.algorithms.join(', ');
    const never = /^none$/i.test(alg) ? '; unsigned tokens are never accepted' : /^HS/i.test(alg) ? '; HMAC is never accepted' : '';
    throw new LegacyRejection('alg_not_allowed', 'alg', `${summarize(alg)} is not allowed (allowed: ${allowed})${never}`);
  }
  trace.pass('alg', () => `${alg} (allowed: ${idp.algorithms.join(', ')})`);

  if (idp.types) trace.add(checkType(header.typ, idp.types));

  if (header.crit !== undefined) {
    throw new LegacyRejection('token_malformed', 'header', `crit ${summarize(header.crit)}: no JWS extension is supported`);
  }
  if (typeof header.cty === 'string' && /^(application\/)?jwt$/i.test(header.cty)) {
    throw new LegacyRejection('token_malformed', 'header', `cty ${JSON.stringify(header.cty)}: nested JWTs are not accepted`);
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') throw new LegacyRejection('token_malformed', 'header', 'kid is not a string');
  const kid = header.kid as string | undefined;
  // Keys come only from the configured source; headers naming a key are ignored entirely (never fetched, never used).
  trace.pass('header', () => {
    const ignored = ['jku', 'x5u', 'jwk', 'x5c'].filter((name) => name in header);
    const note = ignored.length ? `; ignored ${ignored.join(', ')} (keys come only from the configured source)` : '';
    return `${kid === undefined ? 'no kid' : `kid ${JSON.stringify(kid)}`}${note}`;
  });
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

/** The claim lines before the first failing one (or the first `stop` names), as trace lines. */
function passedClaims(lines: readonly ClaimLine[], stop: (line: ClaimLine) => boolean = () => false): VerificationCheck[] {
  const end = lines.findIndex((line) => !line.ok || stop(line));
  return (end < 0 ? lines : lines.slice(0, end)).map(({ name, detail }) => ({ name, ok: true, detail }));
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
