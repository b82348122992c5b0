import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { CLIENT_ASSERTION_ALGORITHMS } from '../../config/client-auth.ts';
import { CLIENT_JWKS_TIMEOUT_SECONDS } from '../../config/server-limits.ts';
import type { ClientConfig } from '../../config/schema.ts';
import { sha256 } from '../../crypto.ts';
import { OAuthError, invalidRequest } from '../errors.ts';
import type { Reason } from '../reasons.ts';
import type { BridgeServices, Client } from '../services.ts';

/** RFC 7523 §2.2: the only client_assertion_type there is. */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** How far ahead an assertion's `exp` may be: an assertion is for one request, not a credential to keep. */
export const MAX_ASSERTION_LIFETIME_S = 300;
const CLOCK_TOLERANCE_S = 30;
const MAX_JTI_LENGTH = 256;
/** jwksUri fetches: bounded, cached, and not repeated faster than the cooldown (DESIGN §4's key-source rules). */
const REMOTE_KEYS = { timeoutDuration: CLIENT_JWKS_TIMEOUT_SECONDS * 1000, cooldownDuration: 30_000, cacheMaxAge: 600_000 };

const refused = (reason: Reason, detail: string) => new OAuthError('invalid_client', 'client authentication failed', { reason, detail });

/** The private_key_jwt key source of a client (inline jwks or jwksUri), built once at startup; undefined otherwise. */
export function clientAssertionKeys(client: ClientConfig): JWTVerifyGetKey | undefined {
  if (client.tokenEndpointAuthMethod !== 'private_key_jwt') return undefined;
  if (client.jwksUri !== undefined) return createRemoteJWKSet(new URL(client.jwksUri), REMOTE_KEYS);
  return createLocalJWKSet(client.jwks as JSONWebKeySet);
}

/**
 * private_key_jwt (RFC 7523 §2.2, §3; OIDC Core §9): a JWT signed with one of the client's registered keys, `iss` and
 * `sub` its client_id, `aud` the issuer or the token endpoint, `exp` at most five minutes ahead, `jti` used once.
 * Why an assertion failed goes to the log only; the client learns `invalid_client`.
 */
export async function authenticateAssertion(
  services: BridgeServices,
  clientId: string | undefined,
  assertion: string | undefined,
  type: string | undefined,
): Promise<Client> {
  if (assertion === undefined) throw invalidRequest('client_assertion is required with client_assertion_type', 'missing_parameter');
  if (type === undefined) throw invalidRequest('client_assertion_type is required with client_assertion', 'missing_parameter');
  if (type !== JWT_BEARER_ASSERTION) throw invalidRequest(`client_assertion_type must be ${JWT_BEARER_ASSERTION}`, 'client_assertion_type_unsupported');

  let subject: unknown;
  try {
    subject = decodeJwt(assertion).sub;
  } catch {
    throw refused('client_assertion_invalid', 'client_assertion is not a JWT');
  }
  if (typeof subject !== 'string' || !subject) throw refused('client_assertion_invalid', 'client_assertion has no sub');
  if (clientId !== undefined && clientId !== subject) throw invalidRequest('client_id does not match the client_assertion', 'client_id_mismatch');
  const client = services.clients.get(subject);
  if (!client) throw refused('client_unknown', `unknown client ${subject.slice(0, 80)}`);
  if (!client.assertionKeys) {
    throw refused('client_auth_method_mismatch', `client registered for ${client.authMethods.join('/')} sent a client_assertion`);
  }

  const { issuer } = services.config;
  const now = services.clock.now();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, client.assertionKeys, {
      algorithms: [...CLIENT_ASSERTION_ALGORITHMS],
      issuer: client.clientId,
      subject: client.clientId,
      audience: [issuer, `${issuer}/token`],
      requiredClaims: ['exp', 'jti'],
      clockTolerance: CLOCK_TOLERANCE_S,
      currentDate: new Date(now),
    }));
  } catch (error) {
    throw assertionError(error);
  }
  const exp = payload.exp!;
  if (exp * 1000 - now > MAX_ASSERTION_LIFETIME_S * 1000) {
    throw refused('client_assertion_invalid', `exp is ${Math.round(exp - now / 1000)} s ahead (at most ${MAX_ASSERTION_LIFETIME_S} s)`);
  }
  const jti = payload.jti;
  if (typeof jti !== 'string' || !jti || jti.length > MAX_JTI_LENGTH)
    throw refused('client_assertion_invalid', 'jti must be a non-empty string of at most 256 characters');
  // Single use for as long as the assertion could be accepted: until exp plus the tolerance.
  const key = `assertion-jti:${await sha256(`${client.clientId} ${jti}`)}`;
  const ttlMs = Math.max(1, (exp + CLOCK_TOLERANCE_S) * 1000 - now);
  if (!(await services.store.setIfAbsent(key, '1', { ttlMs }))) throw refused('client_assertion_replayed', 'client_assertion jti was already used');
  return client;
}

function assertionError(error: unknown): OAuthError {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError)) {
    // The client's jwksUri did not answer usefully (or the fetch failed): the assertion cannot be checked.
    return refused('client_keys_unavailable', `client keys unavailable: ${error instanceof Error ? error.name : 'error'}`);
  }
  return refused('client_assertion_invalid', `${error.code}: ${error.message}`);
}
