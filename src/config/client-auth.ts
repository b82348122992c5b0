import * as z from 'zod';
import { checkSecureUrl } from './urls.ts';

/** How a client authenticates at /token (OIDC Core §9; RFC 7523 §2.2 for private_key_jwt). */
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

/** Algorithms a private_key_jwt assertion may be signed with: asymmetric only, never HS*, never `none`. */
export const CLIENT_ASSERTION_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

/** JWK members that only a private (or symmetric) key has (RFC 7518 §6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const publicJwk = z.record(z.string(), z.unknown()).superRefine((jwk, ctx) => {
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') {
    ctx.addIssue({ code: 'custom', path: ['kty'], message: 'must be "RSA", "EC" or "OKP" (public keys only; symmetric "oct" keys are not accepted)' });
  }
  const secret = PRIVATE_MEMBERS.find((member) => member in jwk);
  if (secret) ctx.addIssue({ code: 'custom', path: [secret], message: 'is a private key member: register the public key only' });
  if (jwk.alg !== undefined && !(CLIENT_ASSERTION_ALGORITHMS as readonly unknown[]).includes(jwk.alg)) {
    ctx.addIssue({ code: 'custom', path: ['alg'], message: `must be one of ${CLIENT_ASSERTION_ALGORITHMS.join(', ')}` });
  }
});

/** The client keys for client authentication, spread into the client object of the config schema. */
export const clientAuthFields = {
  /** Default: client_secret_basic with a clientSecret (client_secret_post accepted too while unset), none without. */
  tokenEndpointAuthMethod: z.enum(TOKEN_ENDPOINT_AUTH_METHODS).optional(),
  /** private_key_jwt: the client's public keys inline (a JWK Set). */
  jwks: z.looseObject({ keys: z.array(publicJwk).min(1, 'must list at least one public key') }).optional(),
  /** private_key_jwt: where the client publishes its public keys (a JWK Set). */
  jwksUri: z
    .string()
    .superRefine((value, ctx) => {
      const problem = checkSecureUrl(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
};

interface ClientAuthConfig {
  clientSecret?: string | undefined;
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod | undefined;
  jwks?: unknown;
  jwksUri?: string | undefined;
}

/** The cross-key rules of client authentication, reported at the client's path (`clients[i]`). */
export function checkClientAuth(client: ClientAuthConfig, ctx: z.RefinementCtx, path: (string | number)[]): void {
  const issue = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [...path, key], message });
  const method = client.tokenEndpointAuthMethod;
  if (method === 'private_key_jwt') {
    if (client.jwks === undefined && client.jwksUri === undefined)
      issue('tokenEndpointAuthMethod', "private_key_jwt needs the client's public keys: set exactly one of jwks or jwksUri");
    if (client.jwks !== undefined && client.jwksUri !== undefined) issue('jwksUri', 'cannot be combined with jwks: set exactly one of them');
    if (client.clientSecret !== undefined)
      issue('clientSecret', 'cannot be combined with tokenEndpointAuthMethod private_key_jwt (the client signs an assertion instead)');
    return;
  }
  if (client.jwks !== undefined) issue('jwks', 'applies only with tokenEndpointAuthMethod: private_key_jwt');
  if (client.jwksUri !== undefined) issue('jwksUri', 'applies only with tokenEndpointAuthMethod: private_key_jwt');
  if ((method === 'client_secret_basic' || method === 'client_secret_post') && client.clientSecret === undefined) {
    issue('clientSecret', `is required with tokenEndpointAuthMethod ${method}`);
  }
  if (method === 'none' && client.clientSecret !== undefined)
    issue('clientSecret', 'cannot be combined with tokenEndpointAuthMethod none (a public client has no secret)');
}

/** The methods a client may use at /token: exactly its registered one; both secret methods while none is set. */
export function allowedAuthMethods(client: ClientAuthConfig): readonly TokenEndpointAuthMethod[] {
  if (client.tokenEndpointAuthMethod) return [client.tokenEndpointAuthMethod];
  return client.clientSecret === undefined ? ['none'] : ['client_secret_basic', 'client_secret_post'];
}
