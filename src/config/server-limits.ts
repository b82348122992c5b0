import * as z from 'zod';

/**
 * `server` keys that bound slow clients and shutdown (Node runtime; Workers ignore them). Defaults suit an identity
 * endpoint: requests are small (a body is at most 64 KiB), so a client that has not sent its headers in 10 s or its
 * whole request in 30 s is gone or hostile; Node's own defaults (60 s / 300 s) let half-open connections pile up.
 */
export const serverLimitFields = {
  /** Time to receive a request's headers; the connection is closed after it (Node `headersTimeout`). */
  headersTimeoutSeconds: z.number().positive().max(600).default(10),
  /** Time to receive a whole request, headers and body (Node `requestTimeout`); at least headersTimeoutSeconds. */
  requestTimeoutSeconds: z.number().positive().max(3600).default(30),
  /** Idle time before a keep-alive connection is closed; set it above a load balancer's own idle timeout. */
  keepAliveTimeoutSeconds: z.number().positive().max(3600).default(5),
  /** Open connections per process; more are refused at once (Node `server.maxConnections`). */
  maxConnections: z.number().int().min(1).max(1_000_000).default(1024),
  /**
   * On SIGTERM: how long in-flight requests may take before the process gives up (exit 1). Absent: 20 s, or twice the
   * longest upstream timeout plus 5 s when that is longer, so a request waiting on a Keys Endpoint can still finish.
   */
  shutdownGraceSeconds: z.number().positive().max(3600).optional(),
};

interface ServerLimits {
  headersTimeoutSeconds: number;
  requestTimeoutSeconds: number;
  shutdownGraceSeconds?: number | undefined;
}

/** Cross-key rule of the server limits (added to the config's superRefine). */
export function checkServerLimits(server: ServerLimits, ctx: z.RefinementCtx): void {
  if (server.requestTimeoutSeconds < server.headersTimeoutSeconds) {
    ctx.addIssue({ code: 'custom', path: ['server', 'requestTimeoutSeconds'], message: 'must be at least server.headersTimeoutSeconds' });
  }
}

/** Timeouts of what a request may wait on: Keys Endpoints, a client's jwks_uri (5 s), the store's commands (2 s). */
export const CLIENT_JWKS_TIMEOUT_SECONDS = 5;
export const STORE_COMMAND_TIMEOUT_SECONDS = 2;
const DEFAULT_GRACE_SECONDS = 20;

/** The shutdown grace period: configured, or the default that outlasts every upstream timeout. */
export function shutdownGraceSeconds(config: {
  server: { shutdownGraceSeconds?: number | undefined };
  identityProviders: { keysCache: { timeoutSeconds: number } }[];
}): number {
  if (config.server.shutdownGraceSeconds !== undefined) return config.server.shutdownGraceSeconds;
  return Math.max(DEFAULT_GRACE_SECONDS, 2 * longestUpstreamTimeoutSeconds(config) + 5);
}

export function longestUpstreamTimeoutSeconds(config: { identityProviders: { keysCache: { timeoutSeconds: number } }[] }): number {
  return Math.max(CLIENT_JWKS_TIMEOUT_SECONDS, STORE_COMMAND_TIMEOUT_SECONDS, ...config.identityProviders.map((idp) => idp.keysCache.timeoutSeconds));
}
