import type { Config } from '../../config/schema.ts';
import type { SigningKeys } from '../../keys/signing-keys.ts';
import { SUPPORTED_CLAIMS } from '../tokens/claims.ts';
import { SUPPORTED_SCOPES } from '../checks/scope.ts';
import { CLIENT_ASSERTION_ALGORITHMS } from '../../config/client-auth.ts';
import { tokenExchangeDiscovery, tokenExchangeGrantTypes } from '../grants/token-exchange-discovery.ts';

/** OpenID Provider Metadata (OIDC Discovery §3): advertises exactly what is implemented. */
export function buildDiscovery(config: Config, keys: SigningKeys): Record<string, unknown> {
  const base = config.issuer;
  return {
    issuer: base,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/token`,
    userinfo_endpoint: `${base}/userinfo`,
    end_session_endpoint: `${base}/end_session`,
    // Back-Channel Logout 1.0 §2.1: logout tokens always carry `sid` (and `sub`).
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    jwks_uri: `${base}/jwks`,
    scopes_supported: [...SUPPORTED_SCOPES],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', ...tokenExchangeGrantTypes(config)],
    device_authorization_endpoint: `${base}/device_authorization`,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: keys.algorithms,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
    revocation_endpoint: `${base}/revoke`,
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    introspection_endpoint: `${base}/introspect`,
    // Confidential clients and resource servers (resourceServers[]); public clients may not introspect.
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    code_challenge_methods_supported: ['S256'],
    claims_supported: SUPPORTED_CLAIMS,
    authorization_response_iss_parameter_supported: true,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    claims_parameter_supported: false,
    ...tokenExchangeDiscovery(config),
  };
}
