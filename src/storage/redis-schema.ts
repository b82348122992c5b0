/**
 * What every Redis-speaking adapter shares — the Node adapter (ioredis over TCP) and the edge adapter (Upstash, Redis
 * over HTTPS) — so that one Redis can serve Node and Worker instances of the bridge at the same time: the same key
 * names, the same value encoding (the port's opaque strings, stored as is) and the same Lua scripts.
 *
 * No client import here: this module reaches the Worker bundle.
 */

/** The Redis key of a port key: the configured prefix, then the key, nothing else (no hash tag is added). */
export function redisKey(keyPrefix: string, key: string): string {
  return keyPrefix + key;
}

/** A hash tag in the prefix would send every key to one Cluster slot (STORAGE.md: never a constant tag). */
export function prefixHasHashTag(keyPrefix: string): boolean {
  return /[{}]/.test(keyPrefix);
}

/** Escapes Redis glob metacharacters so a prefix matches literally in SCAN MATCH. */
export function escapeGlob(text: string): string {
  return text.replace(/[\\*?[\]]/g, '\\$&');
}

/** The SCAN MATCH pattern for `list(prefix)`: the literal prefix, then anything. */
export function scanPattern(keyPrefix: string, prefix: string): string {
  return `${escapeGlob(redisKey(keyPrefix, prefix))}*`;
}

/** Keys per SCAN round trip: large enough for few round trips, small enough not to block Redis. */
export const SCAN_COUNT = 500;

/**
 * Compare-and-swap. KEYS[1]: the key; ARGV: expected, mode ('delete' | 'keep' | 'px'), next, ttl ms.
 * Only Redis ≤ 6.2 commands and no script flags, so it runs on any Redis the bridge supports, Upstash included.
 * Returns integers rather than Lua booleans: a Lua `false` reply differs between RESP2 (nil) and RESP3 (false).
 */
export const COMPARE_AND_SWAP_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == 'delete' then
  redis.call('DEL', KEYS[1])
elseif ARGV[2] == 'px' then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
else
  redis.call('SET', KEYS[1], ARGV[3], 'KEEPTTL')
end
return 1
`;

/** ARGV of {@link COMPARE_AND_SWAP_LUA} for `compareAndSwap(key, expected, next, { ttlMs })` (ttlMs already checked). */
export function compareAndSwapArgs(expected: string, next: string | null, ttlMs: number | undefined): [string, string, string, string] {
  const mode = next === null ? 'delete' : ttlMs === undefined ? 'keep' : 'px';
  return [expected, mode, next ?? '', String(ttlMs ?? 0)];
}

/**
 * Every Lua script the Redis adapters define, with how many keys it takes. On Cluster all keys of one script must
 * hash to one slot (else CROSSSLOT): a script with more than one key lists, in `sampleKeys`, the keys it is called
 * with for an example id, so test/unit/storage/redis-slots.test.ts can check they share a hash tag.
 */
export interface RedisScript {
  name: string;
  lua: string;
  numberOfKeys: number;
  sampleKeys?: (keyPrefix: string, id: string) => string[];
}

export const REDIS_SCRIPTS: readonly RedisScript[] = [{ name: 'jibCompareAndSwap', lua: COMPARE_AND_SWAP_LUA, numberOfKeys: 1 }];
