import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import { createOutageGuard } from './outage.ts';
import { checkTtl, type Store } from './port.ts';
import { configSecrets, createTopologyClient, type RedisConnectionConfig } from './redis-client.ts';
import { compareAndSwapArgs, REDIS_SCRIPTS, prefixHasHashTag, redisKey, SCAN_COUNT, scanPattern } from './redis-schema.ts';

export { createRedisClient, REQUEST_PATH_REDIS_OPTIONS } from './redis-client.ts';
export { escapeGlob } from './redis-schema.ts';

/**
 * The Redis adapter. Each port method is ONE command or ONE Lua script on ONE key (STORAGE.md, "Rules for the Redis
 * adapter"), so atomicity holds across every bridge instance sharing the Redis, and on Cluster each call routes by
 * its single key. The key schema and the scripts live in redis-schema.ts, shared with the Upstash adapter, so Node and
 * Worker instances can share one Redis.
 */

interface WithCompareAndSwap {
  jibCompareAndSwap(key: string, ...args: [expected: string, mode: string, next: string, ttlMs: string]): Promise<number>;
}

export interface RedisStoreOptions {
  /** A standalone Redis (shorthand for `connection: { url }`). */
  url?: string;
  /** The topology from `store:` (url, cluster or sentinel, credentials, TLS). */
  connection?: RedisConnectionConfig;
  /** Opt-in `WAIT replicas timeoutMs` after every write; a shortfall fails the write (store.waitForReplicas). */
  waitForReplicas?: { replicas: number; timeoutMs: number } | undefined;
  /** An existing client; the caller keeps ownership (close() does not quit it). */
  client?: Redis | Cluster;
  keyPrefix: string;
  logger: Logger;
}

export function createRedisStore(options: RedisStoreOptions): Store {
  const { keyPrefix, logger } = options;
  const owned = options.client === undefined;
  const connection: RedisConnectionConfig = options.connection ?? { url: options.url };
  if (options.client === undefined && connection.url === undefined && !connection.cluster && !connection.sentinel) {
    throw new TypeError('a url, a topology or a client is required');
  }
  const client = options.client ?? createTopologyClient(connection);
  if (prefixHasHashTag(keyPrefix)) {
    logger.warn({ event: 'store.redis_prefix_hash_tag', keyPrefix }, 'key prefix contains a hash tag');
  }
  const secrets = [...configSecrets(connection), ...clientSecrets(client)];
  const redact = (text: string) => redactSecrets(text, secrets);
  for (const script of REDIS_SCRIPTS) client.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });

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
  const durable = replicaWait(client, options.waitForReplicas, logger);
  let closed = false;
  const k = (key: string) => redisKey(keyPrefix, key);

  return {
    get: (key) => run('get', () => client.get(k(key))),
    async set(key, value, opts) {
      const ttlMs = checkTtl(opts?.ttlMs);
      // Plain SET drops any previous TTL, matching the memory adapter.
      await run('set', () => durable((c) => (ttlMs === undefined ? c.set(k(key), value) : c.set(k(key), value, 'PX', ttlMs))));
    },
    async setIfAbsent(key, value, opts) {
      const ttlMs = checkTtl(opts?.ttlMs);
      const reply = await run('setIfAbsent', () =>
        durable((c) => (ttlMs === undefined ? c.set(k(key), value, 'NX') : c.set(k(key), value, 'PX', ttlMs, 'NX'))),
      );
      return reply === 'OK';
    },
    getAndDelete: (key) => run('getAndDelete', () => durable((c) => c.getdel(k(key)))),
    async compareAndSwap(key, expected, next, opts) {
      const ttlMs = checkTtl(opts?.ttlMs);
      const args = compareAndSwapArgs(expected, next, ttlMs);
      const reply = await run('compareAndSwap', () => durable((c) => (c as unknown as WithCompareAndSwap).jibCompareAndSwap(k(key), ...args)));
      return reply === 1;
    },
    async delete(key) {
      return (await run('delete', () => durable((c) => c.del(k(key))))) > 0;
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

/** The commands a conditional write uses; on a pipeline they queue (and return the pipeline) instead of sending. */
type Commands = Pick<Redis, 'set' | 'getdel' | 'del'>;

/**
 * Writes as they are, or — with `store.waitForReplicas` — each followed by `WAIT replicas timeoutMs` in the same
 * pipeline. A pipeline keeps WAIT on the connection (and, on Cluster, the node) that took the write: WAIT has no key,
 * so sent alone a Cluster client would route it to any node.
 *
 * A write that fewer replicas acknowledged in time is reported as failed (the request gets temporarily_unavailable),
 * because a failover would lose it: an app must never hold a code, token or user id that the next master lacks. The
 * write itself is not undone (Redis cannot), so a retried code or refresh token may then be seen as reused — the
 * safe side. One warning is logged per lagging episode, not per write.
 */
function replicaWait(client: Redis | Cluster, wait: RedisStoreOptions['waitForReplicas'], logger: Logger) {
  let lagging = false;
  return async <T>(write: (commands: Commands) => Promise<T>): Promise<T> => {
    if (wait === undefined) return write(client);
    const pipeline = client.pipeline();
    write(pipeline as unknown as Commands); // queued (returns the pipeline, not a promise); the reply comes from exec()
    pipeline.wait(wait.replicas, wait.timeoutMs);
    const results = (await pipeline.exec()) ?? [];
    const [writeError, reply] = results[0] ?? [new Error('pipeline returned no reply')];
    if (writeError) throw writeError;
    const acked = Number(results[1]?.[1] ?? 0);
    if (acked < wait.replicas) {
      if (!lagging) {
        logger.warn(
          { event: 'store.replicas_behind', acked, expected: wait.replicas, timeoutMs: wait.timeoutMs },
          'fewer replicas than store.waitForReplicas acknowledged a write: writes fail until they catch up',
        );
      }
      lagging = true;
      throw new Error(`${acked} of ${wait.replicas} replicas acknowledged the write within ${wait.timeoutMs} ms`);
    }
    if (lagging) logger.info({ event: 'store.replicas_caught_up', acked, expected: wait.replicas }, 'replicas acknowledge writes again');
    lagging = false;
    return reply as T;
  };
}

function clientSecrets(client: Redis | Cluster): string[] {
  const secrets: string[] = [];
  const options = client.options as { password?: unknown; sentinelPassword?: unknown; redisOptions?: { password?: unknown } };
  for (const password of [options.password, options.sentinelPassword, options.redisOptions?.password]) {
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
