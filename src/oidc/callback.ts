import { randomToken, safeEqual, sha256 } from '../crypto.ts';
import { clearBindingCookie, readBindingCookie } from './binding-cookie.ts';
import { OAuthError, pageError } from './errors.ts';
import { loadAuthRequestOrExpire } from './load-auth-request.ts';
import { redirectTo } from './responses.ts';
import type { BridgeContext, BridgeServices } from './services.ts';

const EXPIRED = { title: 'Sign-in request expired', message: 'This sign-in request is unknown, expired or already completed. Return to the application and sign in again.' };

/**
 * GET /login/jwt/callback, back on the bridge's own origin (DESIGN §1 step 6). The browser must hold BOTH the
 * binding cookie set at /authorize AND the one-time completion value minted at the JWT endpoint. Any mismatch
 * deletes the auth request, so in a session-swap attempt nobody gets a code.
 */
export function createCallbackHandler(services: BridgeServices) {
  const { clock, authRequests, codes } = services;

  return async (c: BridgeContext): Promise<Response> => {
    const { loaded, client } = await loadAuthRequestOrExpire(c, services, EXPIRED);
    const ar = loaded.record;
    const log = c.get('log');
    const cookie = readBindingCookie(c, ar.id, services.secureCookies);
    clearBindingCookie(c, ar.id, services.secureCookies);
    const completions = new URL(c.req.url).searchParams.getAll('completion');
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
    if (problem || !ar.login) {
      await authRequests.remove(ar.id);
      log.warn({ event: 'login.binding_failed', detail: problem }, 'browser binding check failed: auth request deleted');
      throw new OAuthError('access_denied', 'the sign-in could not be completed in this browser', { reason: 'binding_failed', detail: problem });
    }
    if (!(await authRequests.consume(loaded))) throw pageError('auth_request_unknown', EXPIRED, 'consumed by a concurrent callback');
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
    log.info({ event: 'login.succeeded', userId: ar.login.userId }, 'authorization code issued');
    return redirectTo(c, ar.redirectUri, { code, state: ar.state, iss: client.responseIssuer });
  };
}
