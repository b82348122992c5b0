import { SignJWT } from 'jose';
import { randomToken } from '../../crypto.ts';
import type { SigningKeys } from '../../keys/signing-keys.ts';

/** draft-ietf-oauth-identity-assertion-authz-grant-04 §3: the media type of an ID-JAG, in its `typ` header. */
export const ID_JAG_TYP = 'oauth-id-jag+jwt';
/** The token type URI of an ID-JAG (requested_token_type / issued_token_type). */
export const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';

export interface IdJagInput {
  issuer: string;
  /** The bridge user id: the same `sub` as the user's ID tokens. */
  subject: string;
  /** The resource authorization server's issuer identifier (one, per the draft). */
  audience: string;
  /** The requesting client's identifier at that authorization server. */
  clientId: string;
  resource?: string | undefined;
  scopes: readonly string[];
  authTime?: number | undefined;
  amr?: readonly string[] | undefined;
  email?: string | undefined;
  now: number;
  lifetimeSeconds: number;
}

/**
 * An Identity Assertion JWT Authorization Grant (draft §3): the bridge vouches for the signed-in user towards another
 * application's authorization server, which redeems it with the RFC 7523 jwt-bearer grant. Signed with the active
 * key; `typ` keeps it from passing as an ID token or an access token anywhere that checks `typ`.
 */
export function mintIdJag(input: IdJagInput, keys: SigningKeys): Promise<string> {
  const iat = Math.floor(input.now / 1000);
  const claims: Record<string, unknown> = {
    iss: input.issuer,
    sub: input.subject,
    aud: input.audience,
    client_id: input.clientId,
    jti: randomToken(16),
  };
  if (input.resource !== undefined) claims.resource = input.resource;
  if (input.scopes.length) claims.scope = input.scopes.join(' ');
  if (input.authTime !== undefined) claims.auth_time = input.authTime;
  if (input.amr?.length) claims.amr = [...input.amr];
  if (input.email !== undefined) claims.email = input.email;
  const key = keys.active;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ID_JAG_TYP })
    .setIssuedAt(iat)
    .setExpirationTime(iat + input.lifetimeSeconds)
    .sign(key.privateKey);
}
