import { base64url } from 'jose';
import { invalidGrant, invalidRequest } from '../errors.ts';
import type { ClientConfig } from '../../config/schema.ts';

const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** RFC 7636 §4.3 at /authorize: S256 only; required for public clients and for clients with requirePkce. */
export function checkPkceChallenge(client: ClientConfig, challenge: string | undefined, method: string | undefined): string | undefined {
  if (challenge === undefined) {
    if (method !== undefined) throw invalidRequest('code_challenge_method without code_challenge', 'PKCE_INVALID');
    if (!client.clientSecret || client.requirePkce) throw invalidRequest('code_challenge (PKCE, S256) is required for this client', 'PKCE_REQUIRED');
    return undefined;
  }
  if (method !== 'S256') throw invalidRequest('code_challenge_method must be S256', 'PKCE_METHOD_NOT_SUPPORTED');
  if (!CHALLENGE.test(challenge)) throw invalidRequest('code_challenge must be a base64url SHA-256 value', 'PKCE_INVALID');
  return challenge;
}

/** RFC 7636 §4.6 at /token. A verifier for a code issued without a challenge is refused (DESIGN §10). */
export async function verifyPkce(challenge: string | undefined, verifier: string | undefined): Promise<void> {
  if (challenge === undefined) {
    if (verifier !== undefined) throw invalidGrant('code_verifier sent for a code issued without code_challenge', 'PKCE_UNEXPECTED_VERIFIER');
    return;
  }
  if (verifier === undefined) throw invalidGrant('code_verifier is required', 'PKCE_MISSING_VERIFIER');
  if (!VERIFIER.test(verifier)) throw invalidGrant('code_verifier is malformed', 'PKCE_INVALID_VERIFIER');
  const digest = base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  if (digest !== challenge) throw invalidGrant('code_verifier does not match the code_challenge', 'PKCE_MISMATCH');
}
