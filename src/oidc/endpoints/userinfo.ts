import { verifyAccessToken } from '../tokens/access-tokens.ts';
import { claimsForScopes } from '../tokens/claims.ts';
import { OAuthError } from '../errors.ts';
import { readForm } from '../params.ts';
import type { Reason } from '../reasons.ts';
import type { BridgeContext, BridgeServices } from '../services.ts';

const REALM = 'Bearer realm="jwt-idp-bridge"';
const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;

/** RFC 6750 §3.1: a request without credentials gets the bare challenge; a bad token error="invalid_token". */
function invalidToken(reason: Reason, description?: string, detail?: string): OAuthError {
  const challenge = description ? `${REALM}, error="invalid_token", error_description="${description}"` : REALM;
  return new OAuthError('invalid_token', description ?? 'an access token is required', {
    reason,
    headers: { 'WWW-Authenticate': challenge },
    ...(detail !== undefined && { detail }),
  });
}

/** The bearer token from the Authorization header or (RFC 6750 §2.2) a form-encoded POST body; never both. */
async function readAccessToken(c: BridgeContext): Promise<string> {
  const authorization = c.req.header('authorization');
  const formPost = c.req.method === 'POST' && c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
  const fromBody = formPost ? (await readForm(c)).get('access_token') : undefined;
  if (authorization !== undefined && fromBody !== undefined)
    throw new OAuthError('invalid_request', 'use only one way of sending the access token', { reason: 'invalid_request' });
  if (fromBody !== undefined) return fromBody;
  if (authorization === undefined) throw invalidToken('access_token_missing');
  const match = authorization.match(BEARER);
  if (!match) throw invalidToken('access_token_invalid', 'malformed Authorization header');
  return match[1]!;
}

/** GET/POST /userinfo (OIDC Core §5.3): the same `sub` as the ID token, profile claims by granted scope. */
export function createUserinfoHandler(services: BridgeServices) {
  const { users, grants } = services;

  return async (c: BridgeContext): Promise<Response> => {
    const token = await readAccessToken(c);
    const checked = await verifyAccessToken(services, token);
    if (!checked.ok) throw invalidToken('access_token_invalid', 'the access token is invalid or expired', checked.why);
    const { payload } = checked;
    if (await grants.isRevoked(String(payload.gid))) throw invalidToken('access_token_revoked', 'the access token was revoked', `grant ${String(payload.gid)}`);
    const user = await users.get(String(payload.sub));
    if (!user || user.disabled) throw invalidToken('user_unavailable', 'the user is no longer active');
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    return c.json({ ...claimsForScopes(user.profile, scopes), sub: user.id }, 200, { 'Cache-Control': 'no-store' });
  };
}
