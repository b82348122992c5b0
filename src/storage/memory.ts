import type { Clock } from '../clock.ts';
import { checkTtl, StoreUnavailableError, type Store } from './port.ts';

/**
 * The embedded store: a Map with expiry times (STORAGE.md, "The memory adapter").
 *
 * Every method does its read-check-write synchronously — no `await` between reading and writing — so each call is
 * atomic within one process or isolate, which is exactly what the port asks of an adapter. The methods are `async`
 * only so that errors surface as rejections, like every other adapter's.
 *
 * Expiry is lazy (an expired entry is dropped when touched) plus a sweep that runs on writes, never on a timer, so
 * the store never keeps a process alive and costs nothing while idle.
 */
export interface MemoryStore extends Store {
  /** Remaining TTL in ms with Redis `PTTL` semantics: -2 when absent, -1 when durable. For tests and inspection. */
  pttl(key: string): Promise<number>;
  /** Entries held, including expired ones that were not swept yet. */
  size(): number;
}

interface Entry {
  value: string;
  /** Epoch ms at which the entry stops existing; null for durable entries. */
  expiresAt: number | null;
}

/**
 * Sweep after this many writes, or after as many writes as there are entries when that is more: the sweep is O(n),
 * so this keeps it amortised O(1) per write while bounding the expired entries held to about the live ones.
 */
const MIN_WRITES_BETWEEN_SWEEPS = 1_000;

export function createMemoryStore(options: { clock: Clock; keyPrefix?: string }): MemoryStore {
  const { clock } = options;
  const keyPrefix = options.keyPrefix ?? '';
  const entries = new Map<string, Entry>();
  let writesSinceSweep = 0;
  let closed = false;

  function ensureOpen(): void {
    if (closed) throw new StoreUnavailableError('memory store is closed');
  }

  function isExpired(entry: Entry, now: number): boolean {
    return entry.expiresAt !== null && entry.expiresAt <= now;
  }

  /** The entry if it exists and has not expired; drops it when it has (lazy expiry). */
  function live(fullKey: string): Entry | undefined {
    const entry = entries.get(fullKey);
    if (entry === undefined) return undefined;
    if (isExpired(entry, clock.now())) {
      entries.delete(fullKey);
      return undefined;
    }
    return entry;
  }

  function write(fullKey: string, entry: Entry): void {
    entries.set(fullKey, entry);
    writesSinceSweep += 1;
    if (writesSinceSweep >= Math.max(MIN_WRITES_BETWEEN_SWEEPS, entries.size)) sweep();
  }

  function sweep(): void {
    writesSinceSweep = 0;
    const now = clock.now();
    for (const [key, entry] of entries) {
      if (isExpired(entry, now)) entries.delete(key);
    }
  }

  function expiryFor(ttlMs: number | undefined): number | null {
    return ttlMs === undefined ? null : clock.now() + ttlMs;
  }

  return {
    async get(key) {
      ensureOpen();
      return live(keyPrefix + key)?.value ?? null;
    },

    async set(key, value, opts) {
      ensureOpen();
      // Like Redis SET: an unconditional write replaces the TTL (durable unless a new one is given).
      write(keyPrefix + key, { value, expiresAt: expiryFor(checkTtl(opts?.ttlMs)) });
    },

    async setIfAbsent(key, value, opts) {
      ensureOpen();
      const ttlMs = checkTtl(opts?.ttlMs);
      const fullKey = keyPrefix + key;
      if (live(fullKey) !== undefined) return false;
      write(fullKey, { value, expiresAt: expiryFor(ttlMs) });
      return true;
    },

    async getAndDelete(key) {
      ensureOpen();
      const fullKey = keyPrefix + key;
      const entry = live(fullKey);
      if (entry === undefined) return null;
      entries.delete(fullKey);
      return entry.value;
    },

    async compareAndSwap(key, expected, next, opts) {
      ensureOpen();
      const ttlMs = checkTtl(opts?.ttlMs);
      const fullKey = keyPrefix + key;
      const entry = live(fullKey);
      if (entry === undefined || entry.value !== expected) return false;
      if (next === null) {
        entries.delete(fullKey);
      } else {
        // Without a new TTL the key keeps the one it had (port contract; Redis `SET … KEEPTTL`).
        write(fullKey, { value: next, expiresAt: ttlMs === undefined ? entry.expiresAt : expiryFor(ttlMs) });
      }
      return true;
    },

    async delete(key) {
      ensureOpen();
      const fullKey = keyPrefix + key;
      const existed = live(fullKey) !== undefined;
      entries.delete(fullKey);
      return existed;
    },

    async list(prefix) {
      ensureOpen();
      const wanted = keyPrefix + prefix;
      const now = clock.now();
      const keys: string[] = [];
      for (const [fullKey, entry] of entries) {
        if (fullKey.startsWith(wanted) && !isExpired(entry, now)) keys.push(fullKey.slice(keyPrefix.length));
      }
      return keys.sort();
    },

    async ping() {
      ensureOpen();
    },

    async close() {
      closed = true;
      entries.clear();
    },

    async pttl(key) {
      ensureOpen();
      const entry = live(keyPrefix + key);
      if (entry === undefined) return -2;
      return entry.expiresAt === null ? -1 : entry.expiresAt - clock.now();
    },

    size() {
      return entries.size;
    },
  };
}
