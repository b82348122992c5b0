import { bearerResponse, issueGrantTokens } from '../tokens/issue.ts';
import { checkClientAccess } from '../checks/client-access.ts';
import type { JWTPayload } from 'jose';
import type { TokenExchangePolicy } from '../../config/token-exchange-schema.ts';
import { randomToken, sha256 } from '../../crypto.ts';
import type { LegacyReason } from '../../legacy/index.ts';
import { IDP_SCOPE_PREFIX, SUPPORTED_SCOPES } from '../checks/scope.ts';
import { OAuthError, invalidGrant } from '../errors.ts';
import { resolveLegacyUser } from '../flow/legacy-user.ts';
import type { Params } from '../params.ts';
import type { BridgeContext, BridgeServices, Client, IdentityProvider } from '../services.ts';

const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const MAX_JTI_LENGTH = 256;

/** A legacy JWT the verifier refused: the same reason code as at /login/jwt; an unreachable Keys Endpoint is not the token's fault. */
function refusal(reason: LegacyReason, detail: string): OAuthError {
  if (reason === 'keys_unavailable') {
    return new OAuthError('temporarily_unavailable', 'the identity provider cannot be verified right now', {
      reason,
      detail,
      headers: { 'Retry-After': '5' },
    });
  }
  return new OAuthError('invalid_grant', 'the subject_token was not accepted', { reason, detail });
}

const invalidScope = (description: string, reason: 'idp_scope_ambiguous' | 'idp_not_allowed') => new OAuthError('invalid_scope', description, { reason });

/**
 * The IdP and the scopes of a legacy JWT exchange. The IdP comes from the ZITADEL scope `urn:zitadel:iam:org:idp:id:X`
 * (one at most), else the client's first IdP, as at /authorize. Unknown scopes are dropped (RFC 6749 §3.3); `openid`
 * is optional here (it adds an ID token); `offline_access` stays only when the policy allows a refresh token.
 */
function exchangeScope(services: BridgeServices, client: Client, policy: TokenExchangePolicy, scope: string | undefined) {
  const requested = [...new Set((scope ?? '').split(' ').filter(Boolean))];
  const idpScopes = requested.filter((s) => s.startsWith(IDP_SCOPE_PREFIX));
  if (idpScopes.length > 1) throw invalidScope('only one identity provider scope may be requested', 'idp_scope_ambiguous');
  const idpId = idpScopes.length ? idpScopes[0]!.slice(IDP_SCOPE_PREFIX.length) : client.identityProviders[0]!;
  const idp = client.identityProviders.includes(idpId) ? services.idps.get(idpId) : undefined;
  if (!idp) throw invalidScope('this client may not use the requested identity provider', 'idp_not_allowed');
  const offline = policy.allowRefreshToken && client.grantTypes.includes('refresh_token');
  const scopes = requested.filter((s) => (SUPPORTED_SCOPES as readonly string[]).includes(s) && (s !== 'offline_access' || offline));
  return { idp, scopes };
}

/**
 * A legacy JWT with a `jti` is accepted once while it could be accepted at all (until `exp` plus the IdP's
 * tolerance): one set-if-absent on the hash of (IdP, jti), so two concurrent exchanges cannot both win.
 */
async function spendJti(services: BridgeServices, idp: IdentityProvider, claims: JWTPayload): Promise<void> {
  const { jti, exp } = claims;
  if (jti === undefined) return;
  if (typeof jti !== 'string' || !jti || jti.length > MAX_JTI_LENGTH) {
    throw invalidGrant('the subject_token was not accepted', 'token_malformed');
  }
  const now = services.clock.now();
  const ttlMs = Math.max(1, ((exp ?? 0) + idp.clockToleranceSeconds) * 1000 - now);
  const key = `exchange-jti:${await sha256(`${idp.id}\n${jti}`)}`;
  if (!(await services.store.setIfAbsent(key, '1', { ttlMs }))) {
    throw invalidGrant('the subject_token was already exchanged', 'legacy_jwt_replayed');
  }
}

/**
 * RFC 8693 `audience`/`resource` on a legacy JWT exchange name where the access token may be used: only its own
 * audience (the client's accessTokenAudience, else the issuer) is accepted; anything else is invalid_target.
 */
function checkTarget(params: Params, audience: string): void {
  for (const name of ['audience', 'resource'] as const) {
    const value = params.get(name);
    if (value !== undefined && value !== audience) {
      throw new OAuthError('invalid_target', `the access token cannot be issued for this ${name}`, {
        reason: 'target_not_allowed',
        detail: `${name} not allowed`,
      });
    }
  }
}

/**
 * Legacy JWT → bridge tokens: the JWT is checked by the IdP's own verifier (the one /login/jwt uses: same rules, same
 * reason codes), the user found or registered by the same rules. Each exchange is a new grant and session (`sid`), so
 * its tokens can be revoked, and its ID token can later be exchanged for an ID-JAG.
 */
export function createLegacyJwtExchange(services: BridgeServices) {
  const { config, clock, users, sessions } = services;

  return async (c: BridgeContext, client: Client, policy: TokenExchangePolicy, subjectToken: string, params: Params): Promise<Record<string, unknown>> => {
    const log = c.get('log');
    const { idp, scopes } = exchangeScope(services, client, policy, params.get('scope'));
    checkTarget(params, client.accessTokenAudience ?? config.issuer);

    const result = await idp.verifier.verifyToken(subjectToken, log);
    if (!result.ok) throw refusal(result.reason, result.detail);
    if (policy.singleUseLegacyJwt) await spendJti(services, idp, result.claims);
    const resolved = await resolveLegacyUser(users, idp, result, log);
    if (!resolved.ok) throw invalidGrant('the user may not sign in', resolved.reason);
    const { user } = resolved;
    checkClientAccess(client, user, log, 'token');

    const nowSeconds = Math.floor(clock.now() / 1000);
    const grant = {
      userId: user.id,
      scopes,
      authTime: result.authTime ?? nowSeconds,
      sid: randomToken(16),
      grantId: randomToken(16),
      ...(result.amr && { amr: result.amr }),
    };
    await sessions.record(grant.sid, { grantId: grant.grantId, clientId: client.clientId, idp: idp.id, userId: user.id });
    const tokens = await issueGrantTokens(services, client, { ...grant, idp: idp.id }, user.profile, {
      idToken: scopes.includes('openid'),
      offline: scopes.includes('offline_access'),
    });
    log.info(
      {
        event: 'token.exchanged',
        subjectTokenType: 'jwt',
        issuedTokenType: 'access_token',
        issued: tokens.issued,
        idp: idp.id,
        userId: user.id,
        registered: resolved.registered,
        grantId: grant.grantId,
        scope: scopes.join(' '),
      },
      'legacy JWT exchanged for bridge tokens',
    );
    return { ...bearerResponse(tokens, scopes), issued_token_type: ACCESS_TOKEN_TYPE };
  };
}
