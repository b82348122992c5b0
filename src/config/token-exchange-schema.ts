import * as z from 'zod';

/**
 * The per-client token exchange policy (DESIGN §6, §10): `clients[].tokenExchange`. Absent = denied; each path is off
 * unless switched on here. README "Token exchange and ID-JAG" documents every key.
 */
export const tokenExchangeSchema = z
  .object({
    /** Exchange a legacy JWT (subject_token_type ...:jwt) for bridge tokens. */
    legacyJwt: z.boolean().default(false),
    /**
     * Legacy JWT exchange: a refresh token when `offline_access` is requested and the client has the refresh_token
     * grant. Off by default: a service holding the user's legacy JWT can exchange it again.
     */
    allowRefreshToken: z.boolean().default(false),
    /** Legacy JWT exchange: a JWT with a `jti` is accepted once within its lifetime (replay → invalid_grant). */
    singleUseLegacyJwt: z.boolean().default(true),
    /** Exchange a bridge ID token issued to this client for an ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant). */
    idJag: z
      .object({
        /** The resource authorization servers (their issuer identifiers) an ID-JAG may be issued for (`audience`). */
        audiences: z.array(z.string().min(1)).min(1),
        /** The scopes an ID-JAG may carry; a requested scope outside this list is dropped. */
        scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a scope token (RFC 6749 §3.3)')).default([]),
        /** When set, `resource` must be one of these; absent = any absolute URI, or none. */
        resources: z.array(z.url()).min(1).optional(),
        /** Lifetime of an ID-JAG (`exp - iat`); the draft wants it short. */
        lifetimeSeconds: z.number().int().min(10).max(3600).default(300),
        /** The `client_id` claim: this client's identifier at the resource authorization server (default its clientId). */
        clientId: z.string().min(1).max(256).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type TokenExchangePolicy = z.output<typeof tokenExchangeSchema>;

/** A policy that permits something (an object with every path off permits nothing). */
export function permitsExchange(policy: TokenExchangePolicy | undefined): boolean {
  return policy !== undefined && (policy.legacyJwt || policy.idJag !== undefined);
}

/**
 * Token exchange is for confidential clients (RFC 8693 §2.1 relies on client authentication; the ID-JAG draft
 * forbids public clients): a policy on a public client is a configuration error, not a silent no-op.
 */
export function checkTokenExchangeClient(
  client: { tokenExchange?: TokenExchangePolicy | undefined; clientSecret?: string | undefined; tokenEndpointAuthMethod?: string | undefined },
  ctx: z.RefinementCtx,
  path: (string | number)[],
): void {
  if (!permitsExchange(client.tokenExchange)) return;
  const confidential = client.clientSecret !== undefined || client.tokenEndpointAuthMethod === 'private_key_jwt';
  if (!confidential) {
    ctx.addIssue({ code: 'custom', path: [...path, 'tokenExchange'], message: 'requires a confidential client (clientSecret or private_key_jwt)' });
  }
}
