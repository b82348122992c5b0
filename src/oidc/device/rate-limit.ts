import type { Store } from '../../storage/port.ts';

/**
 * Fixed-window counters in the store, shared by every instance. Each hit is one setIfAbsent (the first in a window)
 * or one compareAndSwap on the counter's key, retried a few times under contention; a counter that cannot be
 * incremented counts as over the limit (fail closed). One key per name and window, expiring with the window.
 */
export function createRateLimiter(store: Store, now: () => number) {
  return {
    /** Counts one hit on `name`; true while the count is within `limit` for the current window of `windowMs`. */
    async hit(name: string, limit: number, windowMs: number): Promise<boolean> {
      const window = Math.floor(now() / windowMs);
      const key = `rate:${name}:${window}`;
      const ttlMs = (window + 1) * windowMs - now() + 1000;
      for (let attempt = 0; attempt < 8; attempt++) {
        const raw = await store.get(key);
        if (raw === null) {
          if (await store.setIfAbsent(key, '1', { ttlMs })) return limit >= 1;
          continue;
        }
        const count = Number(raw);
        if (count >= limit) return false;
        if (await store.compareAndSwap(key, raw, String(count + 1))) return true;
      }
      return false;
    },

    /** Is `name` already at `limit` in the current window (without counting)? */
    async exhausted(name: string, limit: number, windowMs: number): Promise<boolean> {
      const raw = await store.get(`rate:${name}:${Math.floor(now() / windowMs)}`);
      return raw !== null && Number(raw) >= limit;
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
