import { jwtVerify, type JWTPayload } from 'jose';
import { claimsForScopes } from './claims.ts';
import type { BridgeContext, BridgeRuntime } from './deps.ts';
import { asTemporarilyUnavailable } from './errors.ts';
import type { Grants } from './grants.ts';

const NO_STORE = { 'Cache-Control': 'no-store' };

/** RFC 6750 §3: no token → bare challenge; bad token → error="invalid_token". */
function unauthorized(c: BridgeContext, description?: string): Response {
  const challenge = description ? `Bearer realm="jwt-idp-bridge", error="invalid_token", error_description="${description}"` : 'Bearer realm="jwt-idp-bridge"';
  return c.json({ error: 'invalid_token', ...(description && { error_description: description }) }, 401, { ...NO_STORE, 'WWW-Authenticate': challenge });
}

/** GET/POST /userinfo (OIDC Core §5.3): the same `sub` as the ID token, profile claims by granted scope. */
export function createUserinfoHandler(runtime: BridgeRuntime, grants: Grants) {
  const { config, clock, users, keys } = runtime;

  return async (c: BridgeContext): Promise<Response> => {
    const authorization = c.req.header('authorization');
    const match = authorization?.match(/^Bearer ([A-Za-z0-9._~+/-]+=*)$/i);
    if (!match) return unauthorized(c, authorization ? 'malformed Authorization header' : undefined);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(match[1]!, keys.getVerificationKey, {
        issuer: config.issuer,
        typ: 'at+jwt',
        algorithms: keys.algorithms,
        currentDate: new Date(clock.now()),
        requiredClaims: ['sub', 'exp', 'gid'],
      }));
    } catch (error) {
      c.get('log').info({ event: 'userinfo.rejected', reason: (error as { code?: string }).code ?? 'invalid' }, 'access token rejected');
      return unauthorized(c, 'the access token is invalid or expired');
    }
    try {
      if (await grants.isRevoked(String(payload.gid))) return unauthorized(c, 'the access token was revoked');
      const user = await users.get(String(payload.sub));
      if (!user || user.disabled) return unauthorized(c, 'the user is no longer active');
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
      return c.json({ ...claimsForScopes(user.profile, scopes), sub: user.id }, 200, NO_STORE);
    } catch (error) {
      asTemporarilyUnavailable(error);
      return c.json({ error: 'temporarily_unavailable' }, 503, { ...NO_STORE, 'Retry-After': '5' });
    }
  };
}
