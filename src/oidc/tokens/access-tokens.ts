import { jwtVerify, type JWTPayload } from 'jose';
import type { BridgeServices } from '../services.ts';

/**
 * The payload of an access token this bridge signed (RFC 9068: `typ: at+jwt`, our issuer, a grant id), unexpired by
 * the bridge's clock; undefined for anything else. Revocation and the user are the caller's to check.
 */
export async function verifyAccessToken(services: Pick<BridgeServices, 'config' | 'clock' | 'keys'>, token: string): Promise<JWTPayload | undefined> {
  const { config, clock, keys } = services;
  try {
    const { payload } = await jwtVerify(token, keys.getVerificationKey, {
      issuer: config.issuer,
      typ: 'at+jwt',
      algorithms: keys.algorithms,
      currentDate: new Date(clock.now()),
      requiredClaims: ['sub', 'exp', 'iat', 'gid', 'client_id'],
    });
    return payload;
  } catch {
    return undefined;
  }
}
