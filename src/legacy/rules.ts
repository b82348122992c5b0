import type { IdentityProviderConfig } from '../config/schema.ts';
import type { VerificationCheck } from './reasons.ts';

type Scalar = string | number | boolean;

/**
 * Reads a claim by name, or by JSON Pointer (RFC 6901) when the selector starts with "/" (Vault semantics).
 * Only own properties are followed, so "/__proto__" or "/constructor" never reach the prototype.
 * An invalid pointer (bad escape, array index with leading zeros or "-") reads as absent.
 */
export function readClaim(claims: Record<string, unknown>, selector: string): unknown {
  if (!selector.startsWith('/')) return Object.hasOwn(claims, selector) ? claims[selector] : undefined;
  let current: unknown = claims;
  for (const raw of selector.slice(1).split('/')) {
    if (/~(?![01])/.test(raw)) return undefined;
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      current = current[Number(token)];
    } else if (current !== null && typeof current === 'object') {
      if (!Object.hasOwn(current, token)) return undefined;
      current = (current as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return current;
}

/**
 * Anchored glob where `*` matches any run of characters (including none) and nothing else is special.
 * Iterative with single-star backtracking: O(pattern × value), no regular expression, no ReDoS.
 */
export function globMatch(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = v;
    } else if (p < pattern.length && pattern[p] === value[v]) {
      p++;
      v++;
    } else if (star >= 0) {
      p = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Strings compare as strings (or globs when enabled); numbers and booleans must be identical; no type coercion. */
function scalarMatches(expected: Scalar, actual: unknown, glob: boolean): boolean {
  if (typeof expected === 'string') {
    if (typeof actual !== 'string') return false;
    return glob ? globMatch(expected, actual) : expected === actual;
  }
  return expected === actual;
}

/** Vault bound-claim semantics: list = any of; an array claim matches when any element matches. */
export function boundClaimMatches(expected: Scalar | Scalar[], actual: unknown, glob: boolean): boolean {
  if (actual === undefined || actual === null) return false;
  const wanted = Array.isArray(expected) ? expected : [expected];
  const values = Array.isArray(actual) ? actual : [actual];
  return values.some((value) => wanted.some((candidate) => scalarMatches(candidate, value, glob)));
}

/**
 * Vault bound claims, in configuration order; evaluation stops at the first mismatch. `passed` writes the trace lines
 * of the claims that matched, only when the trace is read.
 */
export function checkBoundClaims(
  claims: Record<string, unknown>,
  idp: Pick<IdentityProviderConfig, 'boundClaims' | 'boundClaimsType'>,
): { passed: () => VerificationCheck[]; failed?: VerificationCheck } {
  const glob = idp.boundClaimsType === 'glob';
  const want = (expected: Scalar | Scalar[]) => `${Array.isArray(expected) ? 'any of ' : ''}${JSON.stringify(expected)}${glob ? ' (glob)' : ''}`;
  const matched: [name: string, actual: unknown, expected: Scalar | Scalar[]][] = [];
  const passed = () => matched.map(([name, actual, expected]) => ({ name, ok: true, detail: `${summarize(actual)} matches ${want(expected)}` }));
  for (const [selector, expected] of Object.entries(idp.boundClaims)) {
    const actual = readClaim(claims, selector);
    const name = `claim:${selector}`;
    if (actual === undefined) return { passed, failed: { name, ok: false, detail: `claim is absent; expected ${want(expected)}` } };
    if (!boundClaimMatches(expected, actual, glob)) {
      return { passed, failed: { name, ok: false, detail: `${summarize(actual)} does not match ${want(expected)}` } };
    }
    matched.push([name, actual, expected]);
  }
  return { passed };
}

/** A short rendering of a claim value for the trace (claims are the user's attributes, not secrets). */
export function summarize(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
