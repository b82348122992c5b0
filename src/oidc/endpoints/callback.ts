import { randomToken, safeEqual, sha256 } from '../../crypto.ts';
import { readBindingCookie } from '../flow/binding-cookie.ts';
import { OAuthError, pageError } from '../errors.ts';
import { openAuthRequestOrExpire } from '../flow/load-auth-request.ts';
import { redirectTo } from '../responses.ts';
import type { BridgeContext, BridgeServices } from '../services.ts';
import { checkClientAccess } from '../checks/client-access.ts';
import { completeDeviceApproval } from '../device/approval.ts';

const EXPIRED = {
  title: 'Sign-in request expired',
  message: 'This sign-in request is unknown, expired or already completed. Return to the application and sign in again.',
};

/**
 * GET /login/jwt/callback, back on the bridge's own origin (DESIGN §1 step 6). The browser must hold BOTH the
 * binding cookie set at /authorize AND the one-time completion value minted at the JWT endpoint. Any mismatch
 * spends the auth request, so in a session-swap attempt nobody gets a code.
 */
export function createCallbackHandler(services: BridgeServices) {
  const { clock, authRequests, codes, sessions } = services;

  return async (c: BridgeContext): Promise<Response> => {
    const { ar, client } = await openAuthRequestOrExpire(c, services, EXPIRED);
    const log = c.get('log');
    const loaded = await authRequests.loadAuthenticated(ar.id);
    if (loaded === 'spent') throw pageError('auth_request_unknown', EXPIRED, 'already completed or refused');
    const cookie = readBindingCookie(c, services.secureCookies, { legacy: true });
    const completions = new URL(c.req.url).searchParams.getAll('completion');
    const completion = completions.length === 1 ? completions[0] : undefined;
    const login = loaded?.record.login;
    const problem = !login
      ? 'the identity provider step has not completed'
      : cookie === undefined
        ? 'binding cookie missing'
        : !(await safeEqual(await sha256(cookie), loaded.record.bindingHash))
          ? 'binding cookie does not match'
          : completion === undefined
            ? 'completion value missing'
            : !(await safeEqual(await sha256(completion), login.completionHash))
              ? 'completion value does not match'
              : undefined;
    if (problem || !loaded || !login) {
      if (loaded) await authRequests.spend(ar.id);
      log.warn({ event: 'login.binding_failed', detail: problem }, 'browser binding check failed: auth request spent');
      throw new OAuthError('access_denied', 'the sign-in could not be completed in this browser', { reason: 'binding_failed', detail: problem });
    }
    if (!(await authRequests.consume(loaded))) throw pageError('auth_request_unknown', EXPIRED, 'consumed by a concurrent callback');
    if (ar.deviceHash !== undefined) return completeDeviceApproval(c, services, loaded.record, client);
    // The client's access policy (JIT eligibility), now that the user is known: access_denied to the app.
    const user = client.access ? await services.users.get(login.userId) : undefined;
    if (user) checkClientAccess(client, user, log, 'authorize');
    const sid = randomToken(16);
    const grantId = randomToken(16);
    await sessions.record(sid, { grantId, clientId: ar.clientId, idp: ar.idp, userId: login.userId });
    const code = await codes.issue({
      clientId: ar.clientId,
      redirectUri: ar.redirectUri,
      ...(ar.codeChallenge !== undefined && { codeChallenge: ar.codeChallenge }),
      ...(ar.nonce !== undefined && { nonce: ar.nonce }),
      scopes: ar.scopes,
      userId: login.userId,
      idp: ar.idp,
      authTime: login.authTime,
      ...(login.amr && { amr: login.amr }),
      sid,
      grantId,
      issuedAt: clock.now(),
    });
    log.info({ event: 'login.succeeded', userId: login.userId }, 'authorization code issued');
    return redirectTo(c, ar.redirectUri, { code, state: ar.state, iss: client.responseIssuer });
  };
}
