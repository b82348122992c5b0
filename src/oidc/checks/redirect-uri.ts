import type { ClientConfig } from '../../config/schema.ts';

/**
 * Exact string comparison with a registered redirect URI (OAuth 2.0 Security BCP §4.1.3): no normalisation,
 * so a trailing slash, different case, extra query, fragment or userinfo part never matches.
 */
export function isRegisteredRedirectUri(client: ClientConfig, redirectUri: string): boolean {
  return client.redirectUris.includes(redirectUri);
}
