import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { STORE_COMMAND_TIMEOUT_SECONDS } from '../config/server-limits.ts';

/**
 * Builds the ioredis client for a Redis topology from `store:` (README "Scaling out"): standalone (`url`), Cluster
 * (`cluster.nodes`) or Sentinel (`sentinel`). Errors never echo a URL: it may hold a password.
 */

/**
 * Client options for a request path: fail within about two seconds instead of queueing for ever.
 * - `enableOfflineQueue` stays on: commands issued before 'ready' (e.g. a request during startup) wait for the
 *   connection instead of failing; `commandTimeout` and `maxRetriesPerRequest` bound that wait.
 * - `autoResendUnfulfilledCommands: false`: a CAS or GETDEL whose reply was lost may already have run; resending it
 *   would report "lost the race" for our own win (and e.g. revoke a refresh family). Failing is the safe answer.
 * - Reconnect backoff is capped at 1 s so the store is usable again soon after Redis comes back.
 * - `enableAutoPipelining`: commands issued in the same event-loop turn (the concurrent logins' GETs and SETs) go out
 *   in one write instead of one write system call each, which were the Redis runs' top frame. Each command keeps its
 *   own reply; scripts and single commands stay atomic; nothing is batched across turns, so no latency is added.
 */
export const REQUEST_PATH_REDIS_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: 1,
  commandTimeout: STORE_COMMAND_TIMEOUT_SECONDS * 1000,
  connectTimeout: 5_000,
  autoResendUnfulfilledCommands: false,
  retryStrategy: (times) => Math.min(50 * 2 ** (times - 1), 1_000),
  enableAutoPipelining: true,
};

/** The connection part of `store:` for type redis (validated by src/config/store-schema.ts). */
export interface RedisConnectionConfig {
  url?: string | undefined;
  cluster?: { nodes: string[] } | undefined;
  sentinel?: { name: string; sentinels: string[] } | undefined;
  username?: string | undefined;
  password?: string | undefined;
  tls?: { caFile?: string | undefined; servername?: string | undefined } | undefined;
}

interface Endpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls: boolean;
  db: number;
}

/** host, port, credentials, TLS and `/db` of a `redis://` or `rediss://` URL; query options are ignored. */
export function parseRedisUrl(url: string, what = 'store.url'): Endpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`${what} is not a valid URL`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new TypeError(`${what} must be a redis:// or rediss:// URL`);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new TypeError(`${what} has an invalid database number`);
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username && { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password && { password: decodeURIComponent(parsed.password) }),
    tls: parsed.protocol === 'rediss:',
    db,
  };
}

/** A standalone client from a `redis://` or `rediss://` URL (user, password, host, port, `/db`). */
export function createRedisClient(url: string, overrides: RedisOptions = {}): Redis {
  return createTopologyClient({ url }, overrides) as Redis;
}

/** The TLS options, or undefined for plain TCP. */
function tlsOptions(config: RedisConnectionConfig, on: boolean): ConnectionOptions | undefined {
  if (!on && config.tls === undefined) return undefined;
  return {
    ...(config.tls?.caFile !== undefined && { ca: readFileSync(config.tls.caFile, 'utf8') }),
    ...(config.tls?.servername !== undefined && { servername: config.tls.servername }),
  };
}

/** The first credentials found in the entries, unless `username`/`password` are given explicitly. */
function credentials(config: RedisConnectionConfig, endpoints: Endpoint[]): { username?: string; password?: string } {
  const fromUrl = endpoints.find((e) => e.password !== undefined || e.username !== undefined);
  const username = config.username ?? fromUrl?.username;
  const password = config.password ?? fromUrl?.password;
  return { ...(username !== undefined && { username }), ...(password !== undefined && { password }) };
}

/**
 * The client for the configured topology:
 * - standalone: `url` (credentials and `/db` from it; `username`/`password` override them);
 * - Cluster: `cluster.nodes` are seeds; credentials from the first node URL that has some, or the explicit keys,
 *   apply to every node; `rediss:` nodes or a `tls` section turn TLS on for every node;
 * - Sentinel: `sentinel.sentinels` credentials authenticate to the sentinels, `username`/`password` to the master;
 *   `rediss:` sentinels mean TLS to the sentinels and the master alike. `failoverDetector` follows a failover in
 *   about a second instead of at the next reconnect (STORAGE.md "Topologies").
 */
export function createTopologyClient(config: RedisConnectionConfig, overrides: RedisOptions = {}): Redis | Cluster {
  if (config.cluster !== undefined) {
    const nodes = config.cluster.nodes.map((node, i) => parseRedisUrl(node, `store.cluster.nodes[${i}]`));
    const tls = tlsOptions(
      config,
      nodes.some((n) => n.tls),
    );
    const { retryStrategy, ...redisOptions } = { ...REQUEST_PATH_REDIS_OPTIONS, ...overrides };
    return new Cluster(
      nodes.map(({ host, port }) => ({ host, port })),
      {
        redisOptions: { ...redisOptions, ...credentials(config, nodes), ...(tls && { tls }) },
        clusterRetryStrategy: (times) => retryStrategy?.(times) ?? 1_000,
        // A replica may lag: every read and write goes to the slot's master, so single-key steps stay atomic.
        scaleReads: 'master',
        slotsRefreshTimeout: 2_000,
        // Certificates name hosts, not the IPs CLUSTER SLOTS reports: keep the hostname when TLS is on.
        ...(tls && { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) }),
      },
    );
  }
  if (config.sentinel !== undefined) {
    const sentinels = config.sentinel.sentinels.map((node, i) => parseRedisUrl(node, `store.sentinel.sentinels[${i}]`));
    const onTls = sentinels.some((s) => s.tls);
    const tls = tlsOptions(config, onTls);
    const sentinelAuth = sentinels.find((s) => s.password !== undefined || s.username !== undefined);
    return new Redis({
      sentinels: sentinels.map(({ host, port }) => ({ host, port })),
      name: config.sentinel.name,
      role: 'master',
      failoverDetector: true,
      ...(sentinelAuth?.username !== undefined && { sentinelUsername: sentinelAuth.username }),
      ...(sentinelAuth?.password !== undefined && { sentinelPassword: sentinelAuth.password }),
      ...(config.username !== undefined && { username: config.username }),
      ...(config.password !== undefined && { password: config.password }),
      ...(tls && { tls, sentinelTLS: tls, enableTLSForSentinelMode: true }),
      ...REQUEST_PATH_REDIS_OPTIONS,
      ...overrides,
    });
  }
  if (config.url === undefined) throw new TypeError('store.url, store.cluster or store.sentinel is required when store.type is "redis"');
  const endpoint = parseRedisUrl(config.url);
  const tls = tlsOptions(config, endpoint.tls);
  return new Redis({
    host: endpoint.host,
    port: endpoint.port,
    ...credentials(config, [endpoint]),
    db: endpoint.db,
    ...(tls && { tls }),
    ...REQUEST_PATH_REDIS_OPTIONS,
    ...overrides,
  });
}

/** Every password the configuration holds, to be redacted from messages and logs. */
export function configSecrets(config: RedisConnectionConfig): string[] {
  const urls = [config.url, ...(config.cluster?.nodes ?? []), ...(config.sentinel?.sentinels ?? [])].filter((u) => u !== undefined);
  const secrets = config.password !== undefined ? [config.password] : [];
  for (const url of urls) {
    try {
      const password = new URL(url).password;
      if (password) secrets.push(password, decodeURIComponent(password));
    } catch {} // an unparsable URL is rejected when the client is built
  }
  return secrets;
}
