import { SignJWT } from 'jose';
import type { ClientConfig } from '../../config/schema.ts';
import type { SigningKeys } from '../../keys/signing-keys.ts';
import { randomToken } from '../../crypto.ts';

/** The event member of a logout token (OpenID Connect Back-Channel Logout 1.0 §2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** A logout token is delivered at once; two minutes cover the retries and clock skew at the RP. */
const LOGOUT_TOKEN_TTL_SECONDS = 120;

/**
 * Logout token (Back-Channel Logout 1.0 §2.4): `typ: logout+jwt` (§2.4 recommends it, so it can never pass for an ID
 * token), `sub` and `sid`, the backchannel-logout event, a fresh `jti`, and never a `nonce` (§2.4 forbids one).
 * Signed with the key of the client's ID-token algorithm: the RP verifies it the way it verifies its ID tokens.
 */
export function mintLogoutToken(input: { issuer: string; client: ClientConfig; sub: string; sid: string; now: number }, keys: SigningKeys): Promise<string> {
  const key = keys.forAlg(input.client.idTokenSignedResponseAlg);
  const iat = Math.floor(input.now / 1000);
  return new SignJWT({ sub: input.sub, sid: input.sid, events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'logout+jwt' })
    .setIssuer(input.issuer)
    .setAudience(input.client.clientId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + LOGOUT_TOKEN_TTL_SECONDS)
    .setJti(randomToken(16))
    .sign(key.privateKey);
}
