import { base64url } from 'jose';
import { sha256 } from '../crypto.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { Config, IdentityProviderConfig } from '../config/schema.ts';
import { createLegacyVerifier, type LegacyReason } from '../legacy/index.ts';
import { silentLogger } from '../observability/logger.ts';

export interface TokenVerifyOptions {
  config: Config;
  idpId: string;
  /** The pasted token (surrounding whitespace is ignored). */
  token: string;
  clock?: Clock;
  fetch?: typeof fetch;
  out: (line: string) => void;
}

/**
 * `jwt-idp-bridge token verify`: runs the very verifier the JWT endpoint uses and prints every check, for WAF operators.
 * Exit codes (DESIGN §10): 0 accepted, 1 rejected, 2 unknown IdP. The token itself is never printed, only a fingerprint.
 */
export async function runTokenVerify(options: TokenVerifyOptions): Promise<number> {
  const { config, idpId, out } = options;
  const idp = config.identityProviders.find((candidate) => candidate.id === idpId);
  if (!idp) {
    out(`unknown identity provider "${idpId}"; known: ${config.identityProviders.map((candidate) => candidate.id).join(', ')}`);
    return 2;
  }
  const token = options.token.trim();
  const verifier = createLegacyVerifier(idp, { clock: options.clock ?? systemClock, logger: silentLogger, ...(options.fetch && { fetch: options.fetch }) });
  out(`idp    ${idp.id} (issuer ${idp.issuer})`);
  out(`token  sha256 ${await fingerprint(token)}, ${token.length} chars`);
  const result = await verifier.verifyToken(token);
  const width = Math.max(...result.checks.map((check) => check.name.length));
  for (const check of result.checks) out(`${check.ok ? 'PASS' : 'FAIL'}  ${check.name.padEnd(width)}  ${check.detail}`);
  if (result.ok) {
    out(`profile  ${JSON.stringify(result.profile)}`);
    out(`RESULT  accepted (sub=${result.subject})`);
    return 0;
  }
  out(`RESULT  rejected: ${result.reason} — ${hint(result.reason, idp)}`);
  return 1;
}

/** First 8 hex characters of the token's SHA-256: enough to correlate with logs, useless to replay. */
export async function fingerprint(token: string): Promise<string> {
  const digest = base64url.decode(await sha256(token));
  return Array.from(digest.subarray(0, 4), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** What an operator should look at for each reason. */
export function hint(reason: LegacyReason, idp: IdentityProviderConfig): string {
  switch (reason) {
    case 'token_missing':
      return `the WAF did not add the header ${idp.headerName}; check it forwards it to the JWT endpoint path`;
    case 'token_malformed':
      return 'not a signed compact JWT (header.payload.signature) with the required claims; check the WAF sends the raw token once, unmodified';
    case 'alg_not_allowed':
      return `the token's alg is not in identityProviders[${idp.id}].algorithms (${idp.algorithms.join(', ')}); none and HMAC are never accepted`;
    case 'signature_invalid':
      return 'the signature does not match the key with that kid (or the key is too weak); check the token comes from this issuer and keys were not re-generated under the same kid';
    case 'unknown_kid':
      return "no key with the token's kid in the configured key source (even after one refetch); check keysEndpoint/discoveryUrl/publicKeys point at this issuer";
    case 'issuer_mismatch':
      return `iss must equal ${JSON.stringify(idp.issuer)} exactly (a trailing slash matters)`;
    case 'audience_mismatch':
      return `aud must contain one of ${JSON.stringify(idp.audiences)} (identityProviders[${idp.id}].audiences)`;
    case 'expired':
      return `the token is past its exp (tolerance ${idp.clockToleranceSeconds}s); get a fresh one, and check clocks are in sync`;
    case 'not_yet_valid':
      return `nbf, iat or auth_time is in the future beyond the ${idp.clockToleranceSeconds}s tolerance; check the clocks of the issuer and the bridge`;
    case 'too_old':
      return `iat is older than maxTokenAgeSeconds (${idp.maxTokenAgeSeconds}s); the legacy app must issue fresher tokens, or raise the limit`;
    case 'claim_mismatch':
      return 'a boundClaims rule did not match; the failing claim is shown above';
    case 'keys_unavailable':
      return 'the key source could not be fetched or holds no usable key; check the endpoint is reachable from the bridge and returns a JWK set';
    case 'type_not_allowed':
      return `the token's typ header must be one of identityProviders[${idp.id}].types (${(idp.types ?? []).join(', ')}); check the legacy app sets it`;
  }
}
