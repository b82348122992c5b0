import type { LegacyReason } from '../legacy/index.ts';
import type { AuthRequests, LoadedAuthRequest } from './auth-requests.ts';
import { createTrustedProxyCheck } from './checks/trusted-proxy.ts';
import { randomToken, sha256 } from '../crypto.ts';
import type { BridgeContext, BridgeRuntime } from './deps.ts';
import { OAuthError, asTemporarilyUnavailable, type OAuthErrorCode } from './errors.ts';
import { errorPage, redirectError, redirectTo } from './responses.ts';

/** What the app learns about a legacy rejection: a standard code; the reason stays in logs and metrics. */
function errorFor(reason: LegacyReason): { error: OAuthErrorCode; description: string } {
  switch (reason) {
    case 'token_missing':
      return { error: 'login_required', description: 'the user has no session at the identity provider' };
    case 'keys_unavailable':
      return { error: 'temporarily_unavailable', description: 'the identity provider cannot be verified right now' };
    default:
      return { error: 'access_denied', description: 'the identity provider session was not accepted' };
  }
}

/**
 * GET /login/jwt (and aliases): reached through the WAF, which adds the legacy JWT header (DESIGN §1 step 4).
 * Never renders a page on the WAF's domain except when the auth request is unknown (nowhere safe to go):
 * every other outcome is a redirect — to the bridge's own callback, the app's redirect_uri, or the IdP loginUrl.
 */
export function createJwtEndpointHandler(runtime: BridgeRuntime, authRequests: AuthRequests) {
  const { config, clock, users } = runtime;
  const idps = new Map(config.identityProviders.map((idp) => [idp.id, idp]));
  const proxyChecks = new Map(config.identityProviders.map((idp) => [idp.id, createTrustedProxyCheck(idp, runtime.remoteAddress)]));
  const callbackUrl = `${config.issuer}/login/jwt/callback`;

  return async (c: BridgeContext): Promise<Response> => {
    const log = c.get('log');
    const authRequestId = new URL(c.req.url).searchParams.getAll('authRequestID');
    let loaded: LoadedAuthRequest | null;
    try {
      loaded = authRequestId.length === 1 ? await authRequests.load(authRequestId[0]) : null;
    } catch (error) {
      log.error({ event: 'store.failed', err: error }, 'cannot load the auth request');
      return errorPage(c, 503, 'Temporarily unavailable', 'The sign-in service is temporarily unavailable. Please try again in a moment.');
    }
    if (!loaded) {
      log.info({ event: 'legacy.rejected', reason: 'auth_request_unknown' }, 'unknown or expired authRequestID');
      return errorPage(c, 400, 'Sign-in request expired', 'This sign-in request is unknown or has expired. Return to the application and sign in again.');
    }
    const ar = loaded.record;
    const idp = idps.get(ar.idp)!;
    const issuer = runtime.clients.get(ar.clientId)?.authorizationResponseIss === false ? undefined : config.issuer;
    const target = { redirectUri: ar.redirectUri, state: ar.state, issuer };
    const fields = { authRequestId: ar.id, clientId: ar.clientId, idp: ar.idp };

    const reject = async (error: OAuthError, reason: string, detail?: string, keep = false): Promise<Response> => {
      log.info({ event: 'legacy.rejected', ...fields, reason, detail }, error.description);
      if (!keep) await authRequests.remove(ar.id).catch(() => undefined);
      return redirectError(c, target, error);
    };

    if (ar.status !== 'pending') {
      // A second use of one auth request; the first one's flow continues untouched.
      return reject(new OAuthError('invalid_request', 'the authorization request was already used'), 'auth_request_replayed', undefined, true);
    }
    try {
      const proxyProblem = await proxyChecks.get(ar.idp)!(c);
      if (proxyProblem) return await reject(new OAuthError('access_denied', errorFor('untrusted_proxy').description), 'untrusted_proxy', proxyProblem);

      const result = await runtime.verifiers.get(ar.idp)!.verifyHeaders(c.req.raw.headers, log);
      if (!result.ok) {
        if (result.reason === 'token_missing' && idp.loginUrl && ar.prompt !== 'none') {
          log.info({ event: 'legacy.login_redirect', ...fields }, 'no legacy session: sending the user to the legacy login');
          const back = new URL(idp.jwtEndpoint);
          back.searchParams.set('authRequestID', ar.id);
          return redirectTo(c, idp.loginUrl, { return_to: back.href });
        }
        const { error, description } = errorFor(result.reason);
        return await reject(new OAuthError(error, description), result.reason, result.detail);
      }

      const nowSeconds = Math.floor(clock.now() / 1000);
      // OIDC Core §3.1.2.1 max_age: a token that does not say when the user authenticated cannot satisfy it.
      if (ar.maxAge !== undefined && (result.authTime === undefined || nowSeconds - result.authTime > ar.maxAge + idp.clockToleranceSeconds)) {
        return await reject(new OAuthError('login_required', 'the identity provider session is older than max_age'), 'max_age_exceeded');
      }

      const resolved = await users.resolve({ idp: ar.idp, sub: result.subject, profile: result.profile, autoRegister: idp.autoRegister, autoUpdate: idp.autoUpdate, log });
      if (resolved.status === 'not_registered') return await reject(new OAuthError('access_denied', errorFor('user_not_registered').description), 'user_not_registered');
      if (resolved.status === 'disabled') return await reject(new OAuthError('access_denied', errorFor('user_disabled').description), 'user_disabled', `user ${resolved.user.id}`);

      const completion = randomToken(32);
      const login = { userId: resolved.user.id, authTime: result.authTime ?? nowSeconds, completionHash: await sha256(completion), ...(result.amr && { amr: result.amr }) };
      if (!(await authRequests.replace(loaded, { ...ar, status: 'authenticated', login }))) {
        return await reject(new OAuthError('invalid_request', 'the authorization request was already used'), 'auth_request_replayed', undefined, true);
      }
      log.info({ event: 'login.authenticated', ...fields, userId: resolved.user.id, registered: resolved.registered }, 'legacy token accepted');
      return redirectTo(c, callbackUrl, { authRequestID: ar.id, completion });
    } catch (error) {
      const unavailable = asTemporarilyUnavailable(error);
      return reject(unavailable, 'store_unavailable', unavailable.detail, true);
    }
  };
}
