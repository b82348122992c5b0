import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import { createOutageGuard } from './outage.ts';
import { checkTtl, type Store } from './port.ts';
import { COMPARE_AND_SWAP_LUA, compareAndSwapArgs, prefixHasHashTag, redisKey, SCAN_COUNT, scanPattern } from './redis-schema.ts';

export { escapeGlob } from './redis-schema.ts';

/**
 * The Redis adapter. Each port method is ONE command or ONE Lua script on ONE key (STORAGE.md, "Rules for the Redis
 * adapter"), so atomicity holds across every bridge instance sharing the Redis, and on Cluster each call routes by
 * its single key. The key schema and the scripts live in redis-schema.ts, shared with the Upstash adapter, so Node and
 * Worker instances can share one Redis.
 */

const COMPARE_AND_SWAP = 'jibCompareAndSwap';

interface WithCompareAndSwap {
  jibCompareAndSwap(key: string, ...args: [expected: string, mode: string, next: string, ttlMs: string]): Promise<number>;
}

/**
 * Client options for a request path: fail within about two seconds instead of queueing for ever.
 * - `enableOfflineQueue` stays on: commands issued before 'ready' (e.g. a request during startup) wait for the
 *   connection instead of failing; `commandTimeout` and `maxRetriesPerRequest` bound that wait.
 * - `autoResendUnfulfilledCommands: false`: a CAS or GETDEL whose reply was lost may already have run; resending it
 *   would report "lost the race" for our own win (and e.g. revoke a refresh family). Failing is the safe answer.
 * - Reconnect backoff is capped at 1 s so the store is usable again soon after Redis comes back.
 */
export const REQUEST_PATH_REDIS_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: 1,
  commandTimeout: 2_000,
  connectTimeout: 5_000,
  autoResendUnfulfilledCommands: false,
  retryStrategy: (times) => Math.min(50 * 2 ** (times - 1), 1_000),
};

/**
 * A standalone client from a `redis://` or `rediss://` URL (user, password, host, port, `/db`; query options are
 * ignored so the URL cannot override the request-path options). Errors never echo the URL: it may hold a password.
 * TODO: Sentinel (`failoverDetector: true`, STORAGE.md "Topologies") and Cluster (`new Cluster(nodes, { redisOptions
 * })`) need their own config shape; `createRedisStore` already accepts an injected Cluster client.
 */
export function createRedisClient(url: string, overrides: RedisOptions = {}): Redis {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('store.url is not a valid URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError('store.url must be a redis:// or rediss:// URL');
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new TypeError('store.url has an invalid database number');
  return new Redis({
    host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db,
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    ...REQUEST_PATH_REDIS_OPTIONS,
    ...overrides,
  });
}

export interface RedisStoreOptions {
  url?: string;
  /** An existing client; the caller keeps ownership (close() does not quit it). */
  client?: Redis | Cluster;
  keyPrefix: string;
  logger: Logger;
}

export function createRedisStore(options: RedisStoreOptions): Store {
  const { keyPrefix, logger } = options;
  const owned = options.client === undefined;
  if (options.client === undefined && options.url === undefined) throw new TypeError('a url or a client is required');
  const client = options.client ?? createRedisClient(options.url as string);
  if (prefixHasHashTag(keyPrefix)) {
    logger.warn({ event: 'store.redis_prefix_hash_tag', keyPrefix }, 'key prefix contains a hash tag');
  }
  const secrets = secretsOf(options.url, client);
  const redact = (text: string) => redactSecrets(text, secrets);
  client.defineCommand(COMPARE_AND_SWAP, { numberOfKeys: 1, lua: COMPARE_AND_SWAP_LUA });
  const cas = client as unknown as WithCompareAndSwap;

  const guard = createOutageGuard({
    store: 'redis',
    logger,
    describe: (error) => redact(error instanceof Error ? error.message : String(error)),
    // ioredis reports the connection state itself; a failed command (e.g. a WRONGTYPE reply) is not an outage.
    trackCalls: false,
    // While Redis is known to be down, fail at once instead of queueing every request until the next retry.
    failFast: () => guard.isDown && client.status !== 'ready',
  });
  // Without an 'error' listener ioredis prints to the console; log one event per outage instead of per retry.
  const onError = (error: unknown) => guard.down(error);
  const onReady = () => guard.up();
  client.on('error', onError);
  client.on('ready', onReady);
  const run = guard.run;
  let closed = false;
  const k = (key: string) => redisKey(keyPrefix, key);

  return {
    get: (key) => run('get', () => client.get(k(key))),
    async set(key, value, opts) {
      const ttlMs = checkTtl(opts?.ttlMs);
      // Plain SET drops any previous TTL, matching the memory adapter.
      await run('set', () => (ttlMs === undefined ? client.set(k(key), value) : client.set(k(key), value, 'PX', ttlMs)));
    },
    async setIfAbsent(key, value, opts) {
      const ttlMs = checkTtl(opts?.ttlMs);
      const reply = await run('setIfAbsent', () => (ttlMs === undefined ? client.set(k(key), value, 'NX') : client.set(k(key), value, 'PX', ttlMs, 'NX')));
      return reply === 'OK';
    },
    getAndDelete: (key) => run('getAndDelete', () => client.getdel(k(key))),
    async compareAndSwap(key, expected, next, opts) {
      const ttlMs = checkTtl(opts?.ttlMs);
      const reply = await run('compareAndSwap', () => cas.jibCompareAndSwap(k(key), ...compareAndSwapArgs(expected, next, ttlMs)));
      return reply === 1;
    },
    async delete(key) {
      return (await run('delete', () => client.del(k(key)))) > 0;
    },
    async list(prefix) {
      const match = scanPattern(keyPrefix, prefix);
      // SCAN is per node: on a Cluster every master holds a share of the keys.
      const nodes = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
      const found = new Set<string>(); // SCAN may return a key more than once
      await run('list', async () => {
        for (const node of nodes) {
          let cursor = '0';
          do {
            const [nextCursor, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT);
            for (const key of keys) found.add(key.slice(keyPrefix.length));
            cursor = nextCursor;
          } while (cursor !== '0');
        }
      });
      return [...found].sort();
    },
    async ping() {
      await run('ping', () => client.ping());
    },
    async close() {
      if (closed) return;
      closed = true;
      guard.close();
      client.off('error', onError);
      client.off('ready', onReady);
      if (!owned) return;
      client.on('error', () => {}); // a late socket error while quitting must not go unhandled
      try {
        await client.quit();
      } catch {
        client.disconnect(); // not connected: nothing to flush gracefully
      }
    },
  };
}

function secretsOf(url: string | undefined, client: Redis | Cluster): string[] {
  const secrets: string[] = [];
  if (url !== undefined) {
    try {
      const password = new URL(url).password;
      if (password) secrets.push(password, decodeURIComponent(password));
    } catch {} // an unparsable URL was already rejected by createRedisClient
  }
  const options = client.options as { password?: unknown; redisOptions?: { password?: unknown } };
  for (const password of [options.password, options.redisOptions?.password]) {
    if (typeof password === 'string' && password) secrets.push(password);
  }
  return secrets;
}

/** Removes credentials from text bound for messages and logs: `redis://user:pass@` and any known password. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text.replace(/(rediss?:\/\/)[^@\s/]*@/gi, '$1***@');
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}
