import { sha256 } from '../../crypto.ts';
import { invalidGrant, invalidRequest } from '../errors.ts';
import type { ClientConfig } from '../../config/schema.ts';

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
/** base64url(SHA-256(verifier)), RFC 7636 §4.2: the client's encoding, not the bridge's. */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** RFC 7636 §4.3 at /authorize: S256 only; required for public clients and for clients with requirePkce. */
export function checkPkceChallenge(client: ClientConfig, challenge: string | undefined, method: string | undefined): string | undefined {
  if (challenge === undefined) {
    if (method !== undefined) throw invalidRequest('code_challenge_method without code_challenge', 'pkce_invalid');
    if ((!client.clientSecret && client.tokenEndpointAuthMethod !== 'private_key_jwt') || client.requirePkce)
      throw invalidRequest('code_challenge (PKCE, S256) is required for this client', 'pkce_required');
    return undefined;
  }
  if (method !== 'S256') throw invalidRequest('code_challenge_method must be S256', 'pkce_method_not_supported');
  if (!CHALLENGE.test(challenge)) throw invalidRequest('code_challenge must be a base64url SHA-256 value', 'pkce_invalid');
  return challenge;
}

/** RFC 7636 §4.6 at /token. A verifier for a code issued without a challenge is refused (DESIGN §10). */
export async function verifyPkce(challenge: string | undefined, verifier: string | undefined): Promise<void> {
  if (challenge === undefined) {
    if (verifier !== undefined) throw invalidGrant('code_verifier sent for a code issued without code_challenge', 'pkce_unexpected_verifier');
    return;
  }
  if (verifier === undefined) throw invalidGrant('code_verifier is required', 'pkce_missing_verifier');
  if (!VERIFIER.test(verifier)) throw invalidGrant('code_verifier is malformed', 'pkce_invalid_verifier');
  if ((await sha256(verifier)) !== challenge) throw invalidGrant('code_verifier does not match the code_challenge', 'pkce_mismatch');
}
