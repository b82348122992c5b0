import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { OAuthError, pageError, type ErrorPage } from '../errors.ts';
import { Params, readForm } from '../params.ts';
import { errorPage, redirectTo } from '../responses.ts';
import { runInBackground } from '../logout/end-sessions.ts';
import type { BridgeContext, BridgeServices, Client, IdentityProvider } from '../services.ts';

const SIGNED_OUT: ErrorPage = { title: 'Signed out', message: 'You are signed out. You can close this window.' };
const BAD_HINT: ErrorPage = {
  title: 'Sign-out request not understood',
  message: 'This sign-out request is not valid. You may already be signed out; return to the application.',
};
const UNKNOWN_CLIENT: ErrorPage = { title: 'Sign-out request not understood', message: 'This sign-out request names an unknown application.' };

/** Where the sign-out ends; sealed into the legacy logout's return URL, so a sign-out request stores nothing. */
interface Handoff {
  redirectUri?: string;
  state?: string;
}
/** The logout hand-off carries less than an authRequestID; the same bound. */
const MAX_SEALED_LENGTH = 7680;

/**
 * The ID token of a hint, verified against the bridge's own keys. An expired one still identifies the session
 * (RP-Initiated Logout 1.0 §2): jose has verified the signature before it looks at `exp`, and its error carries the
 * payload. Access tokens (`typ: at+jwt`) are not ID tokens.
 */
async function verifyHint(services: BridgeServices, hint: string): Promise<JWTPayload> {
  const { config, keys, clock } = services;
  const refuse = (detail: string) => pageError('id_token_hint_invalid', BAD_HINT, detail);
  try {
    if (
      String(decodeProtectedHeader(hint).typ ?? '')
        .toLowerCase()
        .endsWith('at+jwt')
    )
      throw refuse('an access token, not an ID token');
  } catch (error) {
    if (error instanceof OAuthError) throw error;
    throw refuse('not a JWT');
  }
  try {
    return (await jwtVerify(hint, keys.getVerificationKey, { issuer: config.issuer, algorithms: keys.algorithms, currentDate: new Date(clock.now()) })).payload;
  } catch (error) {
    if (error instanceof errors.JWTExpired && error.payload.iss === config.issuer) return error.payload;
    throw refuse(error instanceof errors.JOSEError ? error.code : 'unverifiable');
  }
}

/** The hint's audience as one client id (an ID token of the bridge has aud = its client's id). */
function hintClientId(payload: JWTPayload): string | undefined {
  const aud = Array.isArray(payload.aud) ? (payload.aud.length === 1 ? payload.aud[0] : undefined) : payload.aud;
  return typeof aud === 'string' ? aud : undefined;
}

/**
 * GET/POST /end_session (OpenID Connect RP-Initiated Logout 1.0): ends the session behind `id_token_hint` (revokes
 * the grant of its `sid`), then sends the browser to the IdP's legacy `logoutUrl` if configured (which comes back to
 * /end_session/done), and finally to `post_logout_redirect_uri` — only when it is registered for the client,
 * byte for byte — with `state`; otherwise a plain "signed out" page. `ui_locales` is ignored.
 */
export function createEndSessionHandler(services: BridgeServices) {
  const { config, clock, sealer, logout, clients } = services;

  return async (c: BridgeContext): Promise<Response> => {
    const params = c.req.method === 'POST' ? await readForm(c) : new Params(new URL(c.req.url).searchParams);
    params.rejectDuplicates();
    const hint = params.get('id_token_hint');
    const clientIdParam = params.get('client_id');
    const postLogoutRedirectUri = params.get('post_logout_redirect_uri');
    const state = params.get('state');
    const log = c.get('log');

    const claims = hint === undefined ? undefined : await verifyHint(services, hint);
    const fromHint = claims && hintClientId(claims);
    if (claims && clientIdParam !== undefined && clientIdParam !== fromHint) {
      throw pageError('client_id_mismatch', BAD_HINT, 'client_id is not the audience of id_token_hint');
    }
    const clientId = clientIdParam ?? fromHint;
    const client: Client | undefined = clientId === undefined ? undefined : clients.get(clientId);
    if (clientId !== undefined && !client) throw pageError('client_unknown', UNKNOWN_CLIENT, `unknown client ${clientId.slice(0, 80)}`);

    const sid = typeof claims?.sid === 'string' ? claims.sid : undefined;
    const ended = sid === undefined ? undefined : await logout.endSession(sid, typeof claims?.sub === 'string' ? claims.sub : undefined, log);
    const session = ended?.session;
    if (ended) runInBackground(c, ended.delivery);
    log.info(
      {
        event: 'logout',
        ...(client && { clientId: client.clientId }),
        ...(claims?.sub !== undefined && { userId: claims.sub }),
        revoked: session !== undefined,
      },
      'signed out',
    );

    const target: Handoff = {};
    if (postLogoutRedirectUri !== undefined) {
      if (client?.postLogoutRedirectUris.includes(postLogoutRedirectUri)) {
        target.redirectUri = postLogoutRedirectUri;
        if (state !== undefined) target.state = state;
      } else {
        log.warn(
          { event: 'logout.redirect_refused', reason: 'post_logout_redirect_uri_unregistered' },
          'post_logout_redirect_uri is not registered for the client: not redirecting',
        );
      }
    }

    const idp = legacyIdp(services, session?.idp, client);
    if (idp?.logoutUrl) {
      const expiresAt = clock.now() + config.tokens.authRequestTtlSeconds * 1000;
      const back = new URL(`${config.issuer}/end_session/done`);
      back.searchParams.set('logout', await sealer.seal(JSON.stringify({ ...target, expiresAt })));
      return redirectTo(c, idp.logoutUrl, { return_to: back.href });
    }
    return finish(c, target);
  };
}

/** GET /end_session/done: back from the legacy app's logout; the grant was revoked before the hand-off. */
export function createEndSessionDoneHandler(services: BridgeServices) {
  return async (c: BridgeContext): Promise<Response> => {
    const params = new Params(new URL(c.req.url).searchParams);
    params.rejectDuplicates();
    const sealed = params.get('logout');
    const opened = sealed === undefined || sealed.length > MAX_SEALED_LENGTH ? null : await services.sealer.open(sealed);
    const handoff = opened === null ? undefined : (JSON.parse(opened.payload) as Handoff & { expiresAt: number });
    // Forged or expired: the sign-out itself already happened, so the person just sees the page (never a redirect).
    // A repeated visit only repeats the redirect to the registered address, with nothing revoked or written.
    if (!handoff || services.clock.now() >= handoff.expiresAt) {
      c.get('log').info({ event: 'logout.handoff_unknown' }, 'unknown or expired logout hand-off');
      return finish(c, {});
    }
    return finish(c, {
      ...(handoff.redirectUri !== undefined && { redirectUri: handoff.redirectUri }),
      ...(handoff.state !== undefined && { state: handoff.state }),
    });
  };
}

function finish(c: BridgeContext, target: Handoff): Response | Promise<Response> {
  if (target.redirectUri) return redirectTo(c, target.redirectUri, { state: target.state });
  return errorPage(c, 200, SIGNED_OUT);
}

/** The legacy IdP to sign out of: the session's, else the client's default, else the only configured one. */
function legacyIdp(services: BridgeServices, sessionIdp: string | undefined, client: Client | undefined): IdentityProvider | undefined {
  const id = sessionIdp ?? client?.identityProviders[0] ?? (services.idps.size === 1 ? [...services.idps.keys()][0] : undefined);
  return id === undefined ? undefined : services.idps.get(id);
}
