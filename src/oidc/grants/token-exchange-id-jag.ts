import { checkClientAccess } from '../checks/client-access.ts';
import { errors, jwtVerify, type JWTPayload } from 'jose';
import type { TokenExchangePolicy } from '../../config/token-exchange-schema.ts';
import { OAuthError, invalidGrant } from '../errors.ts';
import type { Params } from '../params.ts';
import type { Reason } from '../reasons.ts';
import type { BridgeContext, BridgeServices, Client } from '../services.ts';
import { ID_JAG_TOKEN_TYPE, mintIdJag } from '../tokens/id-jag.ts';

type IdJagPolicy = NonNullable<TokenExchangePolicy['idJag']>;

/** Several bridge instances may disagree on the time by a little; an ID token is not accepted longer than that. */
const CLOCK_TOLERANCE_S = 5;

const invalidTarget = (description: string, detail: string) => new OAuthError('invalid_target', description, { reason: 'target_not_allowed', detail });
const refused = (reason: Reason, detail: string) =>
  new OAuthError('invalid_grant', 'the subject_token is not a valid ID token of this client', { reason, detail });

/** RFC 8707 §2: an absolute URI without a fragment; and one of the policy's `resources` when it lists them. */
function checkResource(resource: string | undefined, policy: IdJagPolicy): void {
  if (resource === undefined) return;
  let url: URL | undefined;
  try {
    url = new URL(resource);
  } catch {
    url = undefined;
  }
  if (!url || url.hash || resource.includes('#')) throw invalidTarget('resource must be an absolute URI without a fragment', 'resource malformed');
  if (policy.resources && !policy.resources.includes(resource)) throw invalidTarget('an ID-JAG cannot be issued for this resource', 'resource not allowed');
}

/**
 * The subject token: an ID token this bridge signed (its own keys, `typ: JWT` — never an access token or an ID-JAG)
 * for exactly the requesting client (`aud`, and `azp` when present), unexpired by the bridge's clock.
 */
async function verifyOwnIdToken(services: BridgeServices, token: string, client: Client): Promise<JWTPayload & { sub: string; sid: string }> {
  const { config, keys, clock } = services;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys.getVerificationKey, {
      issuer: config.issuer,
      typ: 'JWT',
      algorithms: keys.algorithms,
      currentDate: new Date(clock.now()),
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['sub', 'aud', 'exp', 'iat', 'sid'],
    }));
  } catch (error) {
    throw refused('subject_token_invalid', error instanceof errors.JOSEError ? `${error.code}: ${error.message}` : 'not a JWT');
  }
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (aud.length !== 1 || aud[0] !== client.clientId || (payload.azp !== undefined && payload.azp !== client.clientId)) {
    throw refused('subject_token_client_mismatch', 'the ID token was issued to another client');
  }
  if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') throw refused('subject_token_invalid', 'sub or sid is not a string');
  return payload as JWTPayload & { sub: string; sid: string };
}

/**
 * The granted scopes: the requested ones the policy lists (draft §4.3: the IdP may grant fewer). None requested →
 * none granted; requested but none allowed → invalid_scope.
 */
function grantScopes(scope: string | undefined, policy: IdJagPolicy): { scopes: string[]; narrowed: boolean } {
  const requested = [...new Set((scope ?? '').split(' ').filter(Boolean))];
  const scopes = requested.filter((s) => policy.scopes.includes(s));
  if (requested.length && !scopes.length) {
    throw new OAuthError('invalid_scope', 'none of the requested scopes may be granted for an ID-JAG', { reason: 'scope_not_allowed' });
  }
  return { scopes, narrowed: scopes.length !== requested.length };
}

/**
 * Bridge ID token → ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant-04 §4): `audience` (one of the policy's
 * `audiences`, else invalid_target) is the resource authorization server that will redeem it. The ID token's session
 * must still exist and its grant must not be revoked (logout, /revoke, code or refresh token reuse), and the user must
 * still be enabled.
 */
export function createIdJagExchange(services: BridgeServices) {
  const { config, clock, users, keys, grants, sessions } = services;

  return async (c: BridgeContext, client: Client, policy: IdJagPolicy, subjectToken: string, params: Params): Promise<Record<string, unknown>> => {
    const log = c.get('log');
    const audience = params.require('audience');
    if (!policy.audiences.includes(audience)) throw invalidTarget('an ID-JAG cannot be issued for this audience', 'audience not allowed');
    const resource = params.get('resource');
    checkResource(resource, policy);
    const { scopes, narrowed } = grantScopes(params.get('scope'), policy);

    const claims = await verifyOwnIdToken(services, subjectToken, client);
    const session = await sessions.find(claims.sid);
    if (!session || session.clientId !== client.clientId) throw invalidGrant('the sign-in session of the subject_token has ended', 'subject_token_revoked');
    if (await grants.isRevoked(session.grantId)) throw invalidGrant('the subject_token was revoked', 'subject_token_revoked');
    const user = await users.get(claims.sub);
    if (!user || user.disabled) throw invalidGrant('the user is no longer allowed to sign in', 'user_unavailable');
    checkClientAccess(client, user, log, 'token');

    const email = typeof user.profile.email === 'string' ? user.profile.email : undefined;
    const amr = Array.isArray(claims.amr) && claims.amr.every((v) => typeof v === 'string') ? (claims.amr as string[]) : undefined;
    const idJag = await mintIdJag(
      {
        issuer: config.issuer,
        subject: user.id,
        audience,
        clientId: policy.clientId ?? client.clientId,
        resource,
        scopes,
        authTime: typeof claims.auth_time === 'number' ? claims.auth_time : undefined,
        amr,
        email,
        now: clock.now(),
        lifetimeSeconds: policy.lifetimeSeconds,
      },
      keys,
    );
    log.info(
      {
        event: 'token.exchanged',
        subjectTokenType: 'id_token',
        issuedTokenType: 'id-jag',
        issued: ['id-jag'],
        userId: user.id,
        grantId: session.grantId,
        audience,
        ...(resource !== undefined && { resource }),
        scope: scopes.join(' '),
      },
      'ID token exchanged for an ID-JAG',
    );
    return {
      access_token: idJag,
      issued_token_type: ID_JAG_TOKEN_TYPE,
      token_type: 'N_A',
      expires_in: policy.lifetimeSeconds,
      ...(narrowed && { scope: scopes.join(' ') }),
    };
  };
}
