import { randomToken, sha256 } from '../../crypto.ts';
import { OAuthError, type OAuthErrorCode } from '../errors.ts';
import { openAuthRequestOrExpire } from '../flow/load-auth-request.ts';
import { resolveLegacyUser } from '../flow/legacy-user.ts';
import type { Reason } from '../reasons.ts';
import { redirectTo } from '../responses.ts';
import type { BridgeContext, BridgeServices } from '../services.ts';

/** What the app learns about a legacy rejection: a standard code; the reason stays in logs and metrics. */
function rejection(reason: Reason, detail?: string): OAuthError {
  const [error, description]: [OAuthErrorCode, string] =
    reason === 'token_missing'
      ? ['login_required', 'the user has no session at the identity provider']
      : reason === 'keys_unavailable'
        ? ['temporarily_unavailable', 'the identity provider cannot be verified right now']
        : ['access_denied', 'the identity provider session was not accepted'];
  // Shown only where nothing may be redirected (a device approval): a person without a WAF session reads what to do.
  const page =
    reason === 'token_missing'
      ? { title: 'Not signed in', message: 'You are not signed in. Sign in to your usual web application in this browser first, then enter the code again.' }
      : undefined;
  return new OAuthError(error, description, { reason, ...(detail !== undefined && { detail }), ...(page && { page }) });
}

const replayed = () => new OAuthError('invalid_request', 'the authorization request was already used', { reason: 'auth_request_replayed' });

/**
 * GET /login/jwt (and aliases): reached through the WAF, which adds the legacy JWT header (DESIGN §1 step 4).
 * Never renders a page on the WAF's domain except when the auth request is unknown (nowhere safe to go):
 * every other outcome is a redirect — to the bridge's own callback, the app's redirect_uri, or the IdP loginUrl.
 */
export function createJwtEndpointHandler(services: BridgeServices) {
  const { clock, users, authRequests } = services;

  return async (c: BridgeContext): Promise<Response> => {
    const { ar, authRequestId, idp } = await openAuthRequestOrExpire(c, services);
    const log = c.get('log');
    // A second use of an authRequestID: refused; the first one's flow continues untouched. A refused legacy session
    // writes nothing (the request stays usable, e.g. after the legacy login page), so unauthenticated traffic stores
    // nothing here either.
    if (await authRequests.isAuthenticated(ar.id)) throw replayed();

    const proxyProblem = await idp.checkProxy(c);
    if (proxyProblem) throw rejection('untrusted_proxy', proxyProblem);

    const result = await idp.verifier.verifyHeaders(c.req.raw.headers, log);
    if (!result.ok) {
      if (result.reason === 'token_missing' && idp.loginUrl && ar.prompt !== 'none') {
        log.info({ event: 'legacy.login_redirect' }, 'no legacy session: sending the user to the legacy login');
        const back = new URL(idp.jwtEndpoint);
        back.searchParams.set('authRequestID', authRequestId);
        return redirectTo(c, idp.loginUrl, { return_to: back.href });
      }
      throw rejection(result.reason, result.detail);
    }

    const nowSeconds = Math.floor(clock.now() / 1000);
    // OIDC Core §3.1.2.1 max_age: a token that does not say when the user authenticated cannot satisfy it.
    if (ar.maxAge !== undefined && (result.authTime === undefined || nowSeconds - result.authTime > ar.maxAge + idp.clockToleranceSeconds)) {
      throw new OAuthError('login_required', 'the identity provider session is older than max_age', { reason: 'max_age_exceeded' });
    }

    const resolved = await resolveLegacyUser(users, idp, result, log);
    if (!resolved.ok) throw rejection(resolved.reason, resolved.detail);

    const completion = randomToken(32);
    const login = {
      userId: resolved.user.id,
      authTime: result.authTime ?? nowSeconds,
      completionHash: await sha256(completion),
      ...(result.amr && { amr: result.amr }),
    };
    if (!(await authRequests.authenticate({ ...ar, login }))) throw replayed();
    log.info({ event: 'login.authenticated', userId: resolved.user.id, registered: resolved.registered }, 'legacy token accepted');
    return redirectTo(c, services.callbackUrl, { authRequestID: authRequestId, completion });
  };
}
