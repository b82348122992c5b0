import type { Config } from './schema.ts';

/**
 * One line per explicit fail-open choice (#9.3), naming the IdP: `config check` prints them, `serve` logs them.
 * Pure; the schema has already refused the implicit forms.
 */
export function configWarnings(config: Config): string[] {
  const lines: string[] = [];
  config.identityProviders.forEach((idp, i) => {
    if (idp.allowAnyAudience) {
      lines.push(`identityProviders[${i}] (${idp.id}): allowAnyAudience: true — tokens for any audience are accepted; list audiences to restrict them`);
    }
    if (idp.trustedProxy === undefined) {
      lines.push(`identityProviders[${i}] (${idp.id}): trustedProxy: none — the JWT endpoint accepts requests that did not come through the WAF`);
    }
  });
  config.clients.forEach((client, i) => {
    if (client.tokenExchange?.legacyJwt && !client.tokenExchange.singleUseLegacyJwt) {
      lines.push(
        `clients[${i}] (${client.clientId}): tokenExchange.singleUseLegacyJwt: false — a legacy JWT may be exchanged again and again until it expires`,
      );
    }
  });
  return lines;
}
