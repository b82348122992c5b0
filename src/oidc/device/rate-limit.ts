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

    /** Takes back one hit of the current window (an attempt that turned out legitimate); best effort. */
    async refund(name: string, windowMs: number): Promise<void> {
      const key = `rate:${name}:${Math.floor(now() / windowMs)}`;
      for (let attempt = 0; attempt < 3; attempt++) {
        const raw = await store.get(key);
        if (raw === null || Number(raw) <= 0) return;
        if (await store.compareAndSwap(key, raw, String(Number(raw) - 1))) return;
      }
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
