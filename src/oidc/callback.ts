import type { AuthRequests, LoadedAuthRequest } from './auth-requests.ts';
import { clearBindingCookie, readBindingCookie } from './binding-cookie.ts';
import type { Codes } from './codes.ts';
import { randomToken, safeEqual, sha256 } from '../crypto.ts';
import type { BridgeContext, BridgeRuntime } from './deps.ts';
import { OAuthError, asTemporarilyUnavailable } from './errors.ts';
import { errorPage, redirectError, redirectTo } from './responses.ts';

const expiredPage = (c: BridgeContext): Response | Promise<Response> =>
  errorPage(c, 400, 'Sign-in request expired', 'This sign-in request is unknown, expired or already completed. Return to the application and sign in again.');

/**
 * GET /login/jwt/callback, back on the bridge's own origin (DESIGN §1 step 6). The browser must hold BOTH the
 * binding cookie set at /authorize AND the one-time completion value minted at the JWT endpoint. Any mismatch
 * deletes the auth request, so in a session-swap attempt nobody gets a code.
 */
export function createCallbackHandler(runtime: BridgeRuntime, authRequests: AuthRequests, codes: Codes) {
  const { config, clock } = runtime;

  return async (c: BridgeContext): Promise<Response> => {
    const log = c.get('log');
    const query = new URL(c.req.url).searchParams;
    const ids = query.getAll('authRequestID');
    const completions = query.getAll('completion');
    let loaded: LoadedAuthRequest | null;
    try {
      loaded = ids.length === 1 ? await authRequests.load(ids[0]) : null;
    } catch (error) {
      log.error({ event: 'store.failed', err: error }, 'cannot load the auth request');
      return errorPage(c, 503, 'Temporarily unavailable', 'The sign-in service is temporarily unavailable. Please try again in a moment.');
    }
    if (!loaded) return expiredPage(c);
    const ar = loaded.record;
    const issuer = runtime.clients.get(ar.clientId)?.authorizationResponseIss === false ? undefined : config.issuer;
    const target = { redirectUri: ar.redirectUri, state: ar.state, issuer };
    const fields = { authRequestId: ar.id, clientId: ar.clientId, idp: ar.idp };
    const cookie = readBindingCookie(c, ar.id, runtime.secureCookies);
    clearBindingCookie(c, ar.id, runtime.secureCookies);
    const completion = completions.length === 1 ? completions[0] : undefined;
    const problem =
      ar.status !== 'authenticated' || !ar.login
        ? 'the identity provider step has not completed'
        : cookie === undefined
          ? 'binding cookie missing'
          : !(await safeEqual(await sha256(cookie), ar.bindingHash))
            ? 'binding cookie does not match'
            : completion === undefined
              ? 'completion value missing'
              : !(await safeEqual(await sha256(completion), ar.login.completionHash))
                ? 'completion value does not match'
                : undefined;
    try {
      if (problem || !ar.login) {
        await authRequests.remove(ar.id);
        log.warn({ event: 'login.binding_failed', ...fields, detail: problem }, 'browser binding check failed: auth request deleted');
        return redirectError(c, target, new OAuthError('access_denied', 'the sign-in could not be completed in this browser', { code: 'BINDING_FAILED' }));
      }
      if (!(await authRequests.consume(loaded))) return expiredPage(c);
      const code = await codes.issue({
        clientId: ar.clientId,
        redirectUri: ar.redirectUri,
        ...(ar.codeChallenge !== undefined && { codeChallenge: ar.codeChallenge }),
        ...(ar.nonce !== undefined && { nonce: ar.nonce }),
        scopes: ar.scopes,
        userId: ar.login.userId,
        idp: ar.idp,
        authTime: ar.login.authTime,
        ...(ar.login.amr && { amr: ar.login.amr }),
        sid: randomToken(16),
        grantId: randomToken(16),
        issuedAt: clock.now(),
      });
      log.info({ event: 'login.succeeded', ...fields, userId: ar.login.userId }, 'authorization code issued');
      return redirectTo(c, ar.redirectUri, { code, state: ar.state, iss: issuer });
    } catch (error) {
      const unavailable = asTemporarilyUnavailable(error);
      log.error({ event: 'store.failed', ...fields, detail: unavailable.detail }, 'cannot complete the sign-in');
      return redirectError(c, target, unavailable);
    }
  };
}
