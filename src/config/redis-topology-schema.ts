import * as z from 'zod';

/**
 * The Redis-only keys of `store:` (DESIGN §3 "Store topologies"; README "Scaling out"): which Redis topology, how to
 * authenticate, TLS, and the opt-in replica acknowledgement. Exactly one of `url` (standalone), `cluster` or
 * `sentinel` names the servers; entries are `redis://` or `rediss://` URLs (`rediss:` turns TLS on).
 */

const nodeUrl = z.string().regex(/^rediss?:\/\/[^/?#\s]+\/?$/, 'must be a redis:// or rediss:// URL with a host and port and no path');

export const redisClusterSchema = z
  .object({
    /** Seed nodes: any reachable master or replica; the client discovers the rest (CLUSTER SLOTS). */
    nodes: z.array(nodeUrl).min(1).max(64),
  })
  .strict();

export const redisSentinelSchema = z
  .object({
    /** The master group name the sentinels monitor (`sentinel monitor <name> …`). */
    name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a sentinel master name'),
    /** Sentinel addresses; credentials in these URLs authenticate to the sentinels (not to the data nodes). */
    sentinels: z.array(nodeUrl).min(1).max(16),
  })
  .strict();

export const redisTlsSchema = z
  .object({
    /** PEM file of the CA that signed the servers' certificates (default: the system trust store). */
    caFile: z.string().min(1).optional(),
    /** Name checked against the server certificate, when the URLs hold IP addresses. */
    servername: z.string().min(1).optional(),
  })
  .strict();

/**
 * `WAIT <replicas> <timeoutMs>` after every write (codes, refresh rotation, auth-request steps, first-login links); a
 * write fewer replicas acknowledged fails the request (temporarily_unavailable), so a failover loses no write the
 * bridge acted on — at the price of failing writes while replicas are missing or lagging (README "Scaling out").
 */
export const redisWaitSchema = z
  .object({
    replicas: z.number().int().min(1).max(16).default(1),
    // Below the 2 s command timeout (redis-client.ts), so a slow replica never turns a write into an outage.
    timeoutMs: z.number().int().min(1).max(1_000).default(100),
  })
  .strict();

export const redisTopologyFields = {
  cluster: redisClusterSchema.optional(),
  sentinel: redisSentinelSchema.optional(),
  /** ACL user and password for the data nodes; override any given in the URLs (normally `${REDIS_PASSWORD}`). */
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  tls: redisTlsSchema.optional(),
  waitForReplicas: redisWaitSchema.optional(),
};
