import type { ClientConfig } from '../config/schema.ts';
import type { AuthRequests } from './auth-requests.ts';
import { checkPkceChallenge } from './checks/pkce.ts';
import { readRequestParams, type Params } from './checks/params.ts';
import { isRegisteredRedirectUri } from './checks/redirect-uri.ts';
import { checkScope } from './checks/scope.ts';
import { randomToken, sha256 } from '../crypto.ts';
import type { BridgeContext, BridgeRuntime } from './deps.ts';
import { OAuthError, asTemporarilyUnavailable, invalidRequest } from './errors.ts';
import { setBindingCookie } from './binding-cookie.ts';
import { errorPage, redirectError, redirectTo } from './responses.ts';

const PROMPTS = new Set(['none', 'login', 'consent', 'select_account']);

/**
 * GET/POST /authorize (OIDC Core §3.1.2). The client and its redirect_uri are verified first; until then
 * every problem is a page, never a redirect. Afterwards every problem is an error redirect with state and iss.
 */
export function createAuthorizeHandler(runtime: BridgeRuntime, authRequests: AuthRequests) {
  const { config, clock } = runtime;

  return async (c: BridgeContext): Promise<Response> => {
    let params: Params;
    let client: ClientConfig | undefined;
    let redirectUri: string | undefined;
    try {
      params = await readRequestParams(c);
      const clientId = params.get('client_id');
      client = clientId === undefined ? undefined : runtime.clients.get(clientId);
      redirectUri = params.get('redirect_uri');
    } catch (error) {
      if (error instanceof OAuthError) return errorPage(c, 400, 'Invalid sign-in request', `${error.description}.`);
      throw error;
    }
    if (!client) return errorPage(c, 400, 'Unknown application', 'The application that sent you here is not registered with this sign-in service.');
    if (!redirectUri || !isRegisteredRedirectUri(client, redirectUri)) {
      return errorPage(c, 400, 'Invalid redirect address', 'The application asked to return to an address that is not registered for it.');
    }

    let state: string | undefined;
    try {
      state = params.get('state');
    } catch {
      state = undefined; // a repeated state cannot be echoed; the duplicate check below reports it
    }
    const target = { redirectUri, state, issuer: client.authorizationResponseIss ? config.issuer : undefined };
    try {
      const duplicates = params.duplicates();
      if (duplicates.length) throw invalidRequest(`parameter ${duplicates[0]} must not be repeated`, 'DUPLICATE_PARAMETER');
      // OIDC Core §3.1.2.6: request objects have their own error codes.
      if (params.get('request') !== undefined) throw new OAuthError('request_not_supported', 'request objects are not supported');
      if (params.get('request_uri') !== undefined) throw new OAuthError('request_uri_not_supported', 'request_uri is not supported');
      const responseType = params.require('response_type');
      if (responseType !== 'code') {
        throw new OAuthError('unsupported_response_type', 'only response_type=code is supported', { code: 'UNSUPPORTED_RESPONSE_TYPE' });
      }
      const responseMode = params.get('response_mode');
      if (responseMode !== undefined && responseMode !== 'query') throw invalidRequest('only response_mode=query is supported', 'UNSUPPORTED_RESPONSE_MODE');
      const { scopes, idp } = checkScope(client, params.get('scope'));
      const codeChallenge = checkPkceChallenge(client, params.get('code_challenge'), params.get('code_challenge_method'));
      const prompt = checkPrompt(params.get('prompt'));
      const maxAge = checkMaxAge(params.get('max_age'));
      if (prompt === 'login') {
        // The bridge cannot make the legacy application re-authenticate the user (OIDC Core §3.1.2.1: error instead).
        throw new OAuthError('login_required', 'the identity provider cannot force a new login; use max_age', { code: 'PROMPT_LOGIN_UNSUPPORTED' });
      }

      const id = authRequests.newId();
      const binding = randomToken(32);
      await authRequests.create({
        id,
        clientId: client.clientId,
        redirectUri,
        ...(state !== undefined && { state }),
        ...optional('nonce', params.get('nonce')),
        scopes,
        ...(codeChallenge !== undefined && { codeChallenge }),
        idp,
        ...(prompt !== undefined && { prompt }),
        ...(maxAge !== undefined && { maxAge }),
        bindingHash: await sha256(binding),
        createdAt: clock.now(),
        status: 'pending',
      });
      setBindingCookie(c, id, binding, runtime.secureCookies, config.tokens.authRequestTtlSeconds);
      c.get('log').info({ event: 'authorize.started', clientId: client.clientId, idp, prompt }, 'authorization request stored');
      const jwtEndpoint = runtime.config.identityProviders.find((p) => p.id === idp)!.jwtEndpoint;
      return redirectTo(c, jwtEndpoint, { authRequestID: id });
    } catch (error) {
      const oauthError = error instanceof OAuthError ? error : asTemporarilyUnavailable(error);
      c.get('log').info({ event: 'authorize.rejected', clientId: client.clientId, code: oauthError.code, detail: oauthError.detail }, oauthError.description);
      return redirectError(c, target, oauthError);
    }
  };
}

function optional<K extends string>(name: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, string>);
}

function checkPrompt(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const prompts = value.split(' ').filter(Boolean);
  if (!prompts.every((p) => PROMPTS.has(p))) throw invalidRequest('unsupported prompt value', 'PROMPT_INVALID');
  if (prompts.includes('none') && prompts.length > 1) throw invalidRequest('prompt=none cannot be combined with other values', 'PROMPT_INVALID');
  if (prompts.includes('none')) return 'none';
  return prompts.includes('login') ? 'login' : undefined;
}

function checkMaxAge(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) throw invalidRequest('max_age must be a non-negative integer', 'MAX_AGE_INVALID');
  return Number(value);
}
