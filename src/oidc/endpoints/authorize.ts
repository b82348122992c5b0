import { sha256 } from '../../crypto.ts';
import { bindingValue, setBindingCookie } from '../flow/binding-cookie.ts';
import { checkEchoedValue } from '../checks/echoed-value.ts';
import { checkMaxAge } from '../checks/max-age.ts';
import { checkPkceChallenge } from '../checks/pkce.ts';
import { checkPrompt } from '../checks/prompt.ts';
import { isRegisteredRedirectUri } from '../checks/redirect-uri.ts';
import { checkResponseType } from '../checks/response-type.ts';
import { checkScope } from '../checks/scope.ts';
import { OAuthError, pageError } from '../errors.ts';
import { readRequestParams } from '../params.ts';
import { redirectTo } from '../responses.ts';
import type { BridgeContext, BridgeServices } from '../services.ts';

const UNKNOWN_CLIENT = { title: 'Unknown application', message: 'The application that sent you here is not registered with this sign-in service.' };
const UNREGISTERED_REDIRECT = { title: 'Invalid redirect address', message: 'The application asked to return to an address that is not registered for it.' };

/**
 * GET/POST /authorize (OIDC Core §3.1.2). The client and its redirect_uri are verified first; until then every
 * problem is a page, never a redirect. Afterwards every problem is an error redirect with state and iss.
 */
export function createAuthorizeHandler(services: BridgeServices) {
  const { config, clock, authRequests } = services;

  return async (c: BridgeContext): Promise<Response> => {
    const params = await readRequestParams(c);
    const clientId = params.get('client_id');
    const client = clientId === undefined ? undefined : services.clients.get(clientId);
    const redirectUri = params.get('redirect_uri');
    if (!client) throw pageError('client_unknown', UNKNOWN_CLIENT);
    if (!redirectUri || !isRegisteredRedirectUri(client, redirectUri)) throw pageError('redirect_uri_unregistered', UNREGISTERED_REDIRECT);

    // From here on errors go back to the client. A state that cannot be echoed (repeated, too long) is itself one.
    c.set('redirectTarget', { redirectUri, issuer: client.responseIssuer });
    const state = checkEchoedValue('state', params.get('state'));
    c.set('redirectTarget', { redirectUri, state, issuer: client.responseIssuer });
    c.set('log', c.get('log').child({ clientId: client.clientId }));

    params.rejectDuplicates();
    checkResponseType(params);
    const { scopes, idp } = checkScope(client, params.get('scope'));
    const codeChallenge = checkPkceChallenge(client, params.get('code_challenge'), params.get('code_challenge_method'));
    const prompt = checkPrompt(params.get('prompt'));
    const maxAge = checkMaxAge(params.get('max_age'));
    const nonce = checkEchoedValue('nonce', params.get('nonce'));
    if (prompt === 'login') {
      // The bridge cannot make the legacy application re-authenticate the user (OIDC Core §3.1.2.1: error instead).
      throw new OAuthError('login_required', 'the identity provider cannot force a new login; use max_age', { reason: 'prompt_login_unsupported' });
    }

    // Nothing is stored: the pending request travels sealed as the authRequestID (unauthenticated traffic grows no state).
    const binding = bindingValue(c, services.secureCookies);
    const authRequestId = await authRequests.seal({
      id: authRequests.newId(),
      clientId: client.clientId,
      redirectUri,
      ...(state !== undefined && { state }),
      ...(nonce !== undefined && { nonce }),
      scopes,
      ...(codeChallenge !== undefined && { codeChallenge }),
      idp,
      ...(prompt !== undefined && { prompt }),
      ...(maxAge !== undefined && { maxAge }),
      bindingHash: await sha256(binding),
      createdAt: clock.now(),
    });
    setBindingCookie(c, binding, services.secureCookies, config.tokens.authRequestTtlSeconds);
    c.get('log').info({ event: 'authorize.started', idp, prompt }, 'authorization request sealed');
    return redirectTo(c, services.idps.get(idp)!.jwtEndpoint, { authRequestID: authRequestId });
  };
}
