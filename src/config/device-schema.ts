import * as z from 'zod';

/**
 * `device:` — the device authorization grant (RFC 8628) and its abuse bounds. The figures are documented in README
 * ("Command-line tools"); every bound is per fixed window, counted in the store, so it holds across instances.
 */
export const deviceSchema = z
  .object({
    /** Lifetime of a device_code / user_code pair (RFC 8628 §3.2 `expires_in`). */
    codeTtlSeconds: z.number().int().min(60).max(1800).default(600),
    /** The minimum polling interval handed out (RFC 8628 §3.2 `interval`); slow_down adds 5 s to it (§3.5). */
    intervalSeconds: z.number().int().min(1).max(60).default(5),
    /**
     * New device authorizations per client per minute. Public clients start them unauthenticated: this bounds the
     * state they create to startsPerMinute × codeTtl/60 pending codes per client.
     */
    startsPerMinutePerClient: z.number().int().min(1).max(10_000).default(60),
    /** Wrong user-code entries one browser may make per 15 minutes (RFC 8628 §5.1). */
    wrongCodesPerBrowser: z.number().int().min(1).max(1000).default(5),
    /** Wrong user-code entries across all browsers per minute; above it, entries wait for the next minute (§5.1). */
    wrongCodesPerMinute: z.number().int().min(1).max(100_000).default(100),
  })
  .strict()
  .prefault({});

export type DeviceConfig = z.output<typeof deviceSchema>;

/** `clients[].access`: who may use the client (JIT eligibility), on the user's profile with boundClaims rules. */
const scalar = z.union([z.string(), z.number(), z.boolean()]);
export const clientAccessSchema = z
  .object({
    requireClaims: z.record(z.string().min(1), z.union([scalar, z.array(scalar).min(1)])).default({}),
    /** `glob`: `*` in string values matches any run of characters, as `boundClaimsType: glob`. */
    requireClaimsType: z.enum(['string', 'glob']).default('string'),
  })
  .strict();

/** Per-client lifetimes (defaults: the global `tokens` figures). */
export const clientTokenLifetimes = {
  accessTokenTtlSeconds: z.number().int().min(30).max(86400).optional(),
  idTokenTtlSeconds: z.number().int().min(30).max(86400).optional(),
};
