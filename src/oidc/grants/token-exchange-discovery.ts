import { permitsExchange } from '../../config/token-exchange-schema.ts';
import type { Config } from '../../config/schema.ts';
import { ID_JAG_TOKEN_TYPE } from '../tokens/id-jag.ts';

/** Token exchange is advertised only when some client's policy permits it (discovery lists exactly what is served). */
export function tokenExchangeGrantTypes(config: Config): string[] {
  return config.clients.some((client) => permitsExchange(client.tokenExchange)) ? ['urn:ietf:params:oauth:grant-type:token-exchange'] : [];
}

/** ID-JAG draft §6: the identity-chaining metadata, only when some client may obtain ID-JAGs. */
export function tokenExchangeDiscovery(config: Config): Record<string, unknown> {
  return config.clients.some((client) => client.tokenExchange?.idJag) ? { identity_chaining_requested_token_types_supported: [ID_JAG_TOKEN_TYPE] } : {};
}
