import type { DurableObjectNamespace } from '@cloudflare/workers-types';
import type { Logger } from '../observability/logger.ts';
import type { BridgeStoreObject } from './bridge-store-object.ts';
import { createOutageGuard } from './outage.ts';
import { checkTtl, type Store } from './port.ts';

/**
 * The Durable Object adapter's client side: each port call is one RPC to one BridgeStoreObject (bridge-store-object.ts),
 * whose methods are atomic (STORAGE.md: every atomic protocol step is one call on one key).
 *
 * Sharding: a key is hashed (FNV-1a) onto one of `shards` objects named `{keyPrefix}#{i}/{shards}` (`idFromName`), so
 * load spreads over many objects while `list()` can still visit them all. The shard count is part of where data
 * lives: changing it makes existing keys unreachable (the name includes the count, so they are never misread).
 */

export const DEFAULT_SHARDS = 32;

export interface DurableObjectStoreOptions {
  namespace: DurableObjectNamespace<BridgeStoreObject>;
  keyPrefix: string;
  /** Objects the keys are spread over (default 32). Fixed for the life of the data. */
  shards?: number;
  logger: Logger;
}

export interface DurableObjectStore extends Store {
  /** Remaining TTL in ms with Redis `PTTL` semantics: -2 when absent, -1 when durable. For tests and inspection. */
  pttl(key: string): Promise<number>;
}

export function createDurableObjectStore(options: DurableObjectStoreOptions): DurableObjectStore {
  const { namespace, keyPrefix, logger } = options;
  const shards = options.shards ?? DEFAULT_SHARDS;
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards must be a positive integer, got ${shards}`);
  // Ids are plain values and safe to keep for the isolate's life; stubs are made per call (a stub may be left broken
  // by an error, and is cheap to create).
  const ids = Array.from({ length: shards }, (_, i) => namespace.idFromName(`${keyPrefix}#${i}/${shards}`));
  const stubFor = (key: string) => namespace.get(ids[shardOf(key, shards)]!);

  const guard = createOutageGuard({ store: 'durable-object', logger });
  const run = guard.run;

  return {
    get: (key) => run('get', () => stubFor(key).get(key)),
    async set(key, value, opts) {
      const ttlMs = checkTtl(opts?.ttlMs) ?? null;
      await run('set', () => stubFor(key).set(key, value, ttlMs));
    },
    async setIfAbsent(key, value, opts) {
      const ttlMs = checkTtl(opts?.ttlMs) ?? null;
      return run('setIfAbsent', () => stubFor(key).setIfAbsent(key, value, ttlMs));
    },
    getAndDelete: (key) => run('getAndDelete', () => stubFor(key).getAndDelete(key)),
    async compareAndSwap(key, expected, next, opts) {
      const ttlMs = checkTtl(opts?.ttlMs) ?? null;
      return run('compareAndSwap', () => stubFor(key).compareAndSwap(key, expected, next, ttlMs));
    },
    delete: (key) => run('delete', () => stubFor(key).delete(key)),
    async list(prefix) {
      // Administration only (CLI-style listing): visits every shard.
      const perShard = await run('list', () => Promise.all(ids.map((id) => namespace.get(id).list(prefix))));
      return perShard.flat().sort();
    },
    pttl: (key) => run('pttl', () => stubFor(key).pttl(key)),
    async ping() {
      await run('ping', () => namespace.get(ids[0]!).ping());
    },
    async close() {
      guard.close();
    },
  };
}

/** FNV-1a (32-bit) over the key's UTF-16 code units, modulo the shard count. Stable: it decides where data lives. */
export function shardOf(key: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}
