import { Redis } from '@upstash/redis/cloudflare';
import type { Logger } from '../observability/logger.ts';
import { createOutageGuard } from './outage.ts';
import { checkTtl, type Store } from './port.ts';
import { COMPARE_AND_SWAP_LUA, compareAndSwapArgs, prefixHasHashTag, redisKey, SCAN_COUNT, scanPattern } from './redis-schema.ts';

/**
 * The Upstash adapter: Redis over HTTPS, for Cloudflare Workers (no TCP client needed). It speaks to Redis exactly as
 * the Node adapter does — same keys, same stored strings, same compare-and-swap script (redis-schema.ts) — so Node
 * instances on `redis://` and Worker instances on Upstash can share one database. Each port call is one HTTP request
 * carrying one command or one EVALSHA, so atomicity is Redis's, as in the Node adapter.
 */
export interface UpstashStoreOptions {
  /** The REST URL (`UPSTASH_REDIS_REST_URL`). */
  url: string;
  /** The REST token (`UPSTASH_REDIS_REST_TOKEN`); never logged. */
  token: string;
  keyPrefix: string;
  logger: Logger;
  /** Per-request bound; a request path must fail soon rather than hang (default 2 s, like the Node adapter). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 2_000;

export function createUpstashStore(options: UpstashStoreOptions): Store {
  const { keyPrefix, logger, token } = options;
  if (prefixHasHashTag(keyPrefix)) logger.warn({ event: 'store.redis_prefix_hash_tag', keyPrefix }, 'key prefix contains a hash tag');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = new Redis({
    url: options.url,
    token,
    // Values are the port's opaque strings: without this the client JSON.parses them ("123" would come back as a
    // number, '{"a":1}' as an object — also inside EVAL results) and would differ from ioredis (STORAGE.md).
    automaticDeserialization: false,
    // One port call = one HTTP request = one command: no batching of unrelated calls into one pipeline.
    enableAutoPipelining: false,
    // No retry: a compare-and-swap whose answer was lost may already have run; re-sending it would report "lost the
    // race" for our own win (the Node adapter disables resending for the same reason). `retries: 0` means one attempt.
    retry: { retries: 0, backoff: () => 0 },
    // A function, so that a timeout rejects; a plain signal makes the client answer "Aborted" as if it were a result.
    signal: () => AbortSignal.timeout(timeoutMs),
    enableTelemetry: false,
  });
  const compareAndSwap = client.createScript<number>(COMPARE_AND_SWAP_LUA);
  const k = (key: string) => redisKey(keyPrefix, key);

  const guard = createOutageGuard({ store: 'upstash', logger, describe: (error) => describeError(error, token) });
  const run = guard.run;

  return {
    get: (key) => run('get', () => client.get<string>(k(key))),
    async set(key, value, opts) {
      const ttlMs = checkTtl(opts?.ttlMs);
      // Plain SET drops any previous TTL, matching the other adapters.
      await run('set', () => (ttlMs === undefined ? client.set(k(key), value) : client.set(k(key), value, { px: ttlMs })));
    },
    async setIfAbsent(key, value, opts) {
      const ttlMs = checkTtl(opts?.ttlMs);
      const reply = await run('setIfAbsent', () => client.set(k(key), value, ttlMs === undefined ? { nx: true } : { nx: true, px: ttlMs }));
      return reply === 'OK';
    },
    getAndDelete: (key) => run('getAndDelete', () => client.getdel<string>(k(key))),
    async compareAndSwap(key, expected, next, opts) {
      const ttlMs = checkTtl(opts?.ttlMs);
      // EVALSHA, falling back to EVAL once when the script is not cached on the server (NOSCRIPT).
      const reply = await run('compareAndSwap', () => compareAndSwap.exec([k(key)], compareAndSwapArgs(expected, next, ttlMs)));
      return Number(reply) === 1;
    },
    async delete(key) {
      return (await run('delete', () => client.del(k(key)))) > 0;
    },
    async list(prefix) {
      const match = scanPattern(keyPrefix, prefix);
      const found = new Set<string>(); // SCAN may return a key more than once
      await run('list', async () => {
        let cursor = '0';
        do {
          const [nextCursor, keys] = await client.scan(cursor, { match, count: SCAN_COUNT });
          for (const key of keys) found.add(key.slice(keyPrefix.length));
          cursor = String(nextCursor);
        } while (cursor !== '0');
      });
      return [...found].sort();
    },
    async ping() {
      await run('ping', () => client.ping());
    },
    async close() {
      // HTTP: nothing to disconnect. Later calls are refused, as with every adapter.
      guard.close();
    },
  };
}

/**
 * A safe message: the client's errors end with ", command was: [...]", which would put keys and stored values (user
 * profiles, grants) into logs; the token is removed in case a proxy ever echoes it.
 */
function describeError(error: unknown, token: string): string {
  const name = error instanceof Error ? error.name : '';
  let message = error instanceof Error ? error.message : String(error);
  if (name === 'TimeoutError' || name === 'AbortError') message = 'timed out';
  const cut = message.indexOf(', command was:');
  if (cut >= 0) message = message.slice(0, cut);
  if (token) message = message.split(token).join('***');
  return message;
}
