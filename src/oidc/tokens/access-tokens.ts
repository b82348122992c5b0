import { type JWTPayload, jwtVerify } from 'jose';
import type { BridgeServices } from '../services.ts';

export type AccessTokenCheck = { ok: true; payload: JWTPayload } | { ok: false; why: string };

/**
 * An access token this bridge signed (RFC 9068: `typ: at+jwt`, our issuer, a grant id, the client), unexpired by the
 * bridge's clock: its payload, or why not (jose's error code, for the log). Revocation and the user are the caller's
 * to check. The one check for userinfo, introspection and revocation.
 */
export async function verifyAccessToken(services: Pick<BridgeServices, 'config' | 'clock' | 'keys'>, token: string): Promise<AccessTokenCheck> {
  const { config, clock, keys } = services;
  try {
    const { payload } = await jwtVerify(token, keys.getVerificationKey, {
      issuer: config.issuer,
      typ: 'at+jwt',
      algorithms: keys.algorithms,
      currentDate: new Date(clock.now()),
      requiredClaims: ['sub', 'exp', 'iat', 'gid', 'client_id'],
    });
    return { ok: true, payload };
  } catch (error) {
    return { ok: false, why: (error as { code?: string }).code ?? 'invalid' };
  }
}
