import { authenticateClient } from '../checks/client-auth.ts';
import { OAuthError } from '../errors.ts';
import { createAuthorizationCodeGrant } from '../grants/authorization-code.ts';
import { createRefreshTokenGrant } from '../grants/refresh-token.ts';
import { createDeviceCodeGrant } from '../grants/device-code.ts';
import { TOKEN_EXCHANGE_GRANT, createTokenExchangeGrant } from '../grants/token-exchange.ts';
import { readForm, type Params } from '../params.ts';
import { jsonNoStore } from '../responses.ts';
import type { BridgeContext, BridgeServices, Client } from '../services.ts';

type Grant = (c: BridgeContext, client: Client, params: Params) => Promise<Record<string, unknown>>;

/**
 * POST /token (RFC 6749 §3.2): reads the form, authenticates the client, and hands the request to the handler of its
 * grant_type (one file each in grants/), if the client is allowed it (`grantTypes`). Discovery advertises exactly the
 * grant types listed here.
 */
export function createTokenHandler(services: BridgeServices) {
  const grantTypes = new Map<string, Grant>([
    ['authorization_code', createAuthorizationCodeGrant(services)],
    ['refresh_token', createRefreshTokenGrant(services)],
    ['urn:ietf:params:oauth:grant-type:device_code', createDeviceCodeGrant(services)],
    [TOKEN_EXCHANGE_GRANT, createTokenExchangeGrant(services)],
  ]);

  return async (c: BridgeContext): Promise<Response> => {
    const params = await readForm(c);
    params.rejectDuplicates();
    const client = await authenticateClient(c, services, params);
    c.set('log', c.get('log').child({ clientId: client.clientId }));
    const grantType = params.require('grant_type');
    const grant = grantTypes.get(grantType);
    if (!grant)
      throw new OAuthError('unsupported_grant_type', 'this grant_type is not supported', {
        reason: 'unsupported_grant_type',
        detail: `grant_type ${grantType.slice(0, 80)}`,
      });
    // Token exchange is allowed by the client's `tokenExchange` policy, which its handler checks, not by grantTypes.
    if (grantType !== TOKEN_EXCHANGE_GRANT && !(client.grantTypes as string[]).includes(grantType)) {
      throw new OAuthError('unauthorized_client', 'this client may not use this grant_type', {
        reason: 'grant_type_not_allowed',
        detail: `grant_type ${grantType}`,
      });
    }
    return jsonNoStore(c, await grant(c, client, params));
  };
}
