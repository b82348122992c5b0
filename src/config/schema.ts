import { ipRestriction } from 'hono/ip-restriction';
import * as z from 'zod';
import { storeSchema } from './store-schema.ts';
import { backchannelLogoutSchema } from './logout-schema.ts';
import { auditSchema } from './audit-schema.ts';
import { checkSecureUrl } from './urls.ts';
import { checkClientAuth, clientAuthFields } from './client-auth.ts';
import { clientAccessSchema, clientTokenLifetimes, deviceSchema } from './device-schema.ts';
import { checkTokenExchangeClient, tokenExchangeSchema } from './token-exchange-schema.ts';
import { checkServerLimits, serverLimitFields } from './server-limits.ts';
import { checkWorkers } from './workers.ts';

/** Asymmetric JWS algorithms only: HMAC could be confused with a public key, `none` is never acceptable. */
export const LEGACY_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
export const DEFAULT_LEGACY_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];
export const SIGNING_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
/** Grant types a client may be allowed (`clients[].grantTypes`). */
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'] as const;

/** Profile field → claim name or JSON Pointer. Standard OIDC claims map to themselves by default. */
export const DEFAULT_CLAIM_MAPPINGS: Record<string, string> = {
  email: 'email',
  email_verified: 'email_verified',
  name: 'name',
  given_name: 'given_name',
  family_name: 'family_name',
  preferred_username: 'preferred_username',
  groups: 'groups',
};

const secureUrl = (opts?: { allowQuery?: boolean }) =>
  z.string().superRefine((value, ctx) => {
    const problem = checkSecureUrl(value, opts);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const identifier = z.string().regex(/^[A-Za-z0-9._~-]{1,64}$/, 'must be 1-64 characters of letters, digits, ".", "_", "~" or "-"');

const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a valid HTTP header name')
  .transform((name) => name.toLowerCase());

const algorithm = z.string().superRefine((value, ctx) => {
  if ((LEGACY_ALGORITHMS as readonly string[]).includes(value)) return;
  const why = /^none$/i.test(value)
    ? '"none" is never accepted'
    : /^HS/i.test(value)
      ? 'HMAC algorithms are not accepted (a public key must never be used as an HMAC secret)'
      : 'unknown algorithm';
  ctx.addIssue({ code: 'custom', message: `${why}; expected one of ${LEGACY_ALGORITHMS.join(', ')}` });
});

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const keysCache = z
  .object({
    timeoutSeconds: z.number().positive().max(60).default(5),
    maxAgeSeconds: z.number().int().min(0).default(600),
    cooldownSeconds: z.number().int().min(0).default(30),
    staleIfErrorSeconds: z.number().int().min(0).default(3600),
  })
  .strict()
  .prefault({});

/**
 * One allowList entry of Hono's ip-restriction (which the JWT endpoint uses): validated by building that very
 * matcher, so `config check` refuses exactly what would fail at startup.
 */
const sourceCidr = z.string().superRefine((value, ctx) => {
  let problem: string | undefined;
  if (value === '*' || value.trim() !== value || !value) problem = 'must be an IP address or CIDR range (e.g. 10.0.0.0/8, fd00::/8)';
  else {
    try {
      ipRestriction(() => '', { allowList: [value] });
    } catch {
      problem = `${JSON.stringify(value)} is not an IP address or CIDR range (IPv4 prefix 0-32, IPv6 prefix 0-128)`;
    }
  }
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const trustedProxy = z
  .object({
    sharedSecretHeader: headerName.default('x-waf-secret'),
    sharedSecret: z.string().min(16, 'must be at least 16 characters').optional(),
    sourceCidrs: z.array(sourceCidr).default([]),
  })
  .strict()
  // An object that checks nothing would fail open behind a name that promises a check.
  .refine((proxy) => proxy.sharedSecret !== undefined || proxy.sourceCidrs.length > 0, 'must set sharedSecret and/or sourceCidrs, or be the string "none"');

/** `typ` values (RFC 7515 §4.1.9): compared case-insensitively, "application/" prefix optional. */
const tokenType = z.string().regex(/^[A-Za-z0-9!#$&^_.+-]+(\/[A-Za-z0-9!#$&^_.+-]+)?$/, 'must be a media type such as "JWT" or "application/at+jwt"');

const origin = z.string().superRefine((value, ctx) => {
  const problem = checkSecureUrl(value, { allowQuery: false });
  if (problem) return void ctx.addIssue({ code: 'custom', message: problem });
  if (new URL(value).origin !== value.replace(/\/$/, '')) ctx.addIssue({ code: 'custom', message: 'must be an origin (scheme://host[:port]) without a path' });
});

const identityProvider = z
  .object({
    id: identifier,
    issuer: z.string().min(1, 'must be a non-empty string'),
    keysEndpoint: secureUrl().optional(),
    discoveryUrl: secureUrl().optional(),
    publicKeys: z
      .array(z.union([z.string().min(1), z.record(z.string(), z.unknown())]))
      .min(1)
      .optional(),
    keysCache,
    jwtEndpoint: secureUrl({ allowQuery: false }),
    headerName: headerName.default('authorization'),
    algorithms: z.array(algorithm).min(1).default(DEFAULT_LEGACY_ALGORITHMS),
    /** Required (non-empty) unless allowAnyAudience: true (fail closed, #9.3). */
    audiences: z.array(z.string().min(1)).min(1, 'must list at least one audience (or set allowAnyAudience: true instead)').optional(),
    allowAnyAudience: z.literal(true, 'must be true when set (list audiences instead)').optional(),
    /** Allowed `typ` header values; absent = any (or none). */
    types: z.array(tokenType).min(1).optional(),
    /** Extra origins a discovery document's jwks_uri may point at (its own origin is always allowed). */
    jwksUriOrigins: z.array(origin).min(1).optional(),
    clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
    maxTokenAgeSeconds: z.number().int().positive().nullable().default(3600),
    boundClaims: z.record(z.string(), z.union([scalar, z.array(scalar).min(1)])).default({}),
    boundClaimsType: z.enum(['string', 'glob']).default('string'),
    claimMappings: z.record(z.string(), z.string().min(1)).default(DEFAULT_CLAIM_MAPPINGS),
    autoRegister: z.boolean().default(true),
    autoUpdate: z.boolean().default(true),
    /** Required: the proof a request came through the WAF, or the explicit string "none". */
    trustedProxy: z.union([z.literal('none'), trustedProxy], 'must be an object (sharedSecret and/or sourceCidrs) or the string "none"').optional(),
    loginUrl: secureUrl().nullable().default(null),
    /** RP-initiated logout: the legacy app's logout, visited with return_to back to /end_session/done. */
    logoutUrl: secureUrl().nullable().default(null),
  })
  .strict()
  .superRefine((idp, ctx) => {
    const sources = (['keysEndpoint', 'discoveryUrl', 'publicKeys'] as const).filter((key) => idp[key] !== undefined);
    if (sources.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: sources.length ? [sources[1]!] : ['keysEndpoint'],
        message: 'exactly one of keysEndpoint, discoveryUrl or publicKeys is required',
      });
    }
    if (idp.audiences === undefined && !idp.allowAnyAudience) {
      ctx.addIssue({
        code: 'custom',
        path: ['audiences'],
        message: 'is required: list the accepted aud values, or set allowAnyAudience: true to accept any audience',
      });
    }
    if (idp.audiences !== undefined && idp.allowAnyAudience) {
      ctx.addIssue({
        code: 'custom',
        path: ['allowAnyAudience'],
        message: 'cannot be combined with audiences: set one of audiences or allowAnyAudience: true',
      });
    }
    if (idp.trustedProxy === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['trustedProxy'],
        message: 'is required: set trustedProxy (sharedSecret and/or sourceCidrs), or trustedProxy: none to accept requests from anywhere',
      });
    }
    if (idp.jwksUriOrigins !== undefined && idp.discoveryUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['jwksUriOrigins'], message: 'applies only with discoveryUrl' });
    }
  })
  .transform(({ audiences, allowAnyAudience, trustedProxy: proxy, ...idp }) => ({
    ...idp,
    /** Empty only with allowAnyAudience: true. */
    audiences: audiences ?? [],
    allowAnyAudience: allowAnyAudience ?? false,
    /** undefined only with the explicit `trustedProxy: none`. */
    trustedProxy: proxy === 'none' ? undefined : proxy,
  }));

const client = z
  .object({
    clientId: identifier,
    clientSecret: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Required unless the client uses only the device code grant (checked below). */
    redirectUris: z.array(secureUrl()).default([]),
    postLogoutRedirectUris: z.array(secureUrl()).default([]),
    /** OpenID Connect Back-Channel Logout 1.0: where the bridge POSTs a logout token when a session of this client ends. */
    backchannelLogoutUri: secureUrl().nullable().default(null),
    identityProviders: z.array(identifier).min(1, 'must name at least one identity provider'),
    requirePkce: z.boolean().default(false),
    idTokenSignedResponseAlg: z.enum(SIGNING_ALGORITHMS).default('RS256'),
    /** The JWS algorithm of this client's access tokens (RFC 9068); RS256 unless the APIs validating them accept another. */
    accessTokenSigningAlg: z.enum(SIGNING_ALGORITHMS).default('RS256'),
    accessTokenAudience: z.string().min(1).optional(),
    /**
     * RFC 9207 `iss` on authorization responses. `false` is a compatibility switch for RPs that mistake it for a
     * third-party-initiated login (Apache mod_auth_openidc); see docs/app-developers.md.
     */
    authorizationResponseIss: z.boolean().default(true),
    tokenExchange: tokenExchangeSchema.optional(),
    /** The grants this client may use at /token; `refresh_token` also needs the `offline_access` scope (DESIGN §6). */
    grantTypes: z.array(z.enum(GRANT_TYPES)).min(1).default(['authorization_code']),
    /** A refresh token unused this long expires (default 14 days). */
    refreshTokenIdleSeconds: z.number().int().min(60).max(31_536_000).default(1_209_600),
    /** A refresh token family ends this long after the login, however often it is used (default 30 days). */
    refreshTokenAbsoluteSeconds: z.number().int().min(60).max(31_536_000).default(2_592_000),
    /** Per-client eligibility on the user's profile (DESIGN §3); absent = everyone the IdP accepts. */
    access: clientAccessSchema.optional(),
    ...clientTokenLifetimes,
    ...clientAuthFields,
  })
  .strict();

/** An API that may call /introspect (RFC 7662) with HTTP Basic or client_secret_post. */
const resourceServer = z.object({ id: identifier, secret: z.string().min(16, 'must be at least 16 characters') }).strict();

/** `status: published`: in /jwks and trusted for verification, never used to sign (key rotation, docs/operators.md). */
const signingKeyStatus = z.enum(['active', 'published']).optional();
const signingKey = z.union([
  z.object({ file: z.string().min(1), status: signingKeyStatus }).strict(),
  z.object({ jwk: z.record(z.string(), z.unknown()), status: signingKeyStatus }).strict(),
]);

export const configSchema = z
  .object({
    issuer: secureUrl({ allowQuery: false }).refine((value) => !value.endsWith('/'), 'must not end with "/"'),
    server: z
      .object({
        host: z.string().min(1).default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).default(8080),
        adminPort: z.number().int().min(1).max(65535).optional(),
        ...serverLimitFields,
        /** Processes serving the port (node:cluster); more than 1 needs a shared store (checkWorkers). */
        workers: z.number().int().min(1).max(64).default(1),
      })
      .strict()
      .prefault({}),
    store: storeSchema,
    signing: z
      .object({ keys: z.array(signingKey).default([]) })
      .strict()
      .prefault({}),
    tokens: z
      .object({
        authRequestTtlSeconds: z.number().int().min(30).max(3600).default(600),
        codeTtlSeconds: z.number().int().min(5).max(600).default(60),
        idTokenTtlSeconds: z.number().int().min(30).max(86400).default(300),
        accessTokenTtlSeconds: z.number().int().min(30).max(86400).default(300),
      })
      .strict()
      .prefault({}),
    device: deviceSchema,
    logging: z
      .object({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
        audit: auditSchema.optional(),
      })
      .strict()
      .prefault({}),
    identityProviders: z.array(identityProvider).min(1, 'must list at least one identity provider'),
    clients: z.array(client).default([]),
    resourceServers: z.array(resourceServer).default([]),
    backchannelLogout: backchannelLogoutSchema,
  })
  .strict()
  .superRefine((config, ctx) => {
    checkServerLimits(config.server, ctx);
    checkWorkers(config, ctx);
    const idpIds = new Set<string>();
    config.identityProviders.forEach((idp, i) => {
      if (idpIds.has(idp.id)) ctx.addIssue({ code: 'custom', path: ['identityProviders', i, 'id'], message: `duplicate id "${idp.id}"` });
      idpIds.add(idp.id);
    });
    const clientIds = new Set<string>();
    config.clients.forEach((c, i) => {
      if (clientIds.has(c.clientId)) {
        ctx.addIssue({ code: 'custom', path: ['clients', i, 'clientId'], message: `duplicate clientId "${c.clientId}"` });
      }
      clientIds.add(c.clientId);
      if (c.redirectUris.length === 0 && c.grantTypes.includes('authorization_code'))
        ctx.addIssue({ code: 'custom', path: ['clients', i, 'redirectUris'], message: 'must list at least one redirect URI' });
      checkClientAuth(c, ctx, ['clients', i]);
      checkTokenExchangeClient(c, ctx, ['clients', i]);
      c.identityProviders.forEach((id, j) => {
        if (!idpIds.has(id)) {
          ctx.addIssue({ code: 'custom', path: ['clients', i, 'identityProviders', j], message: `unknown identity provider "${id}"` });
        }
      });
    });
    const callerIds = new Set(clientIds);
    config.resourceServers.forEach((rs, i) => {
      if (callerIds.has(rs.id))
        ctx.addIssue({ code: 'custom', path: ['resourceServers', i, 'id'], message: `"${rs.id}" is already a clientId or resource server id` });
      callerIds.add(rs.id);
    });
  });

export type Config = z.output<typeof configSchema>;
export type IdentityProviderConfig = Config['identityProviders'][number];
export type ClientConfig = Config['clients'][number];
