import { SignJWT } from 'jose';
import type { ClientConfig } from '../../config/schema.ts';
import type { SigningKey, SigningKeys } from '../../keys/signing-keys.ts';
import { claimsForScopes } from './claims.ts';
import type { CodeGrant } from '../flow/codes.ts';
import { randomToken } from '../../crypto.ts';

/** What a token is minted from: a redeemed code, or a refresh token family (which has no nonce). */
export type TokenGrant = Pick<CodeGrant, 'userId' | 'scopes' | 'authTime' | 'sid' | 'grantId' | 'nonce' | 'amr'>;

export interface MintInput {
  issuer: string;
  client: ClientConfig;
  grant: TokenGrant;
  profile: Record<string, unknown>;
  now: number;
  idTokenTtlSeconds: number;
  accessTokenTtlSeconds: number;
}

function sign(claims: Record<string, unknown>, key: SigningKey, typ: string, iat: number, ttl: number): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ })
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .sign(key.privateKey);
}

/** ID token (OIDC Core §2): `sub` is the bridge user id, never the legacy subject (DESIGN §5). */
export function mintIdToken(input: MintInput, keys: SigningKeys): Promise<string> {
  const { grant, client } = input;
  const iat = Math.floor(input.now / 1000);
  const claims: Record<string, unknown> = {
    ...claimsForScopes(input.profile, grant.scopes),
    iss: input.issuer,
    sub: grant.userId,
    aud: client.clientId,
    azp: client.clientId,
    auth_time: grant.authTime,
    sid: grant.sid,
  };
  if (grant.nonce !== undefined) claims.nonce = grant.nonce;
  if (grant.amr) claims.amr = grant.amr;
  return sign(claims, keys.forAlg(client.idTokenSignedResponseAlg), 'JWT', iat, input.idTokenTtlSeconds);
}

/**
 * Access token as a JWT profile per RFC 9068, carrying the grant id (`gid`) so it can be revoked. Its `aud` is the
 * client's `accessTokenAudience` (the API it calls), else the issuer: never the client_id, so an ID token (aud =
 * client_id) and an access token can never stand in for each other at a careless API or app.
 */
export function mintAccessToken(input: MintInput, keys: SigningKeys): Promise<string> {
  const { grant, client } = input;
  const iat = Math.floor(input.now / 1000);
  const claims = {
    iss: input.issuer,
    sub: grant.userId,
    aud: client.accessTokenAudience ?? input.issuer,
    client_id: client.clientId,
    jti: randomToken(16),
    scope: grant.scopes.join(' '),
    auth_time: grant.authTime,
    sid: grant.sid,
    gid: grant.grantId,
  };
  return sign(claims, keys.forAlg(client.accessTokenSigningAlg), 'at+jwt', iat, input.accessTokenTtlSeconds);
}
