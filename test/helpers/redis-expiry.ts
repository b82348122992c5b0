import type { Redis } from 'ioredis';

/**
 * Waits until Redis itself has expired `key` (for contract cases that use a real 50 ms TTL): polled with a bound
 * rather than slept through; returns as soon as the key is gone.
 */
export async function untilExpired(admin: Redis, key: string): Promise<void> {
  for (let i = 0; i < 200 && (await admin.exists(key)) === 1; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
