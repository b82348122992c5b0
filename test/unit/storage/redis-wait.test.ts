/**
 * store.waitForReplicas: every write is followed by WAIT; a write fewer replicas acknowledged is reported as failed
 * (StoreUnavailableError → temporarily_unavailable), because a failover could lose it. The shared test Redis has no
 * replica, so every write falls short here; the Sentinel test (test/cluster) shows writes succeeding with a replica.
 */
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../../src/observability/logger.ts';
import { StoreUnavailableError } from '../../../src/storage/port.ts';
import { createRedisStore } from '../../../src/storage/redis.ts';
import { REDIS_URL } from '../../helpers/redis-target.ts';

describe('redis store with waitForReplicas', () => {
  it('fails writes that no replica acknowledged, logs it once per episode, and leaves reads alone', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = (fields: Record<string, unknown>) => void lines.push(fields);
    const logger: Logger = { debug: log, info: log, warn: log, error: log, child: () => logger };
    const keyPrefix = `test:wait:${crypto.randomUUID()}:`;
    const store = createRedisStore({ url: REDIS_URL, keyPrefix, logger, waitForReplicas: { replicas: 1, timeoutMs: 20 } });
    const plain = createRedisStore({ url: REDIS_URL, keyPrefix, logger });
    try {
      await plain.set('seen', 'v');
      for (const write of [
        () => store.set('k', 'v'),
        () => store.setIfAbsent('n', 'v'),
        () => store.compareAndSwap('seen', 'v', 'w'),
        () => store.getAndDelete('seen'),
        () => store.delete('k'),
      ]) {
        const error = await write().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(String(error)).toMatch(/0 of 1 replicas acknowledged the write within 20 ms/);
      }
      expect(await store.get('n')).toBe('v'); // the write itself stands: Redis cannot undo it
      expect(lines.filter((l) => l.event === 'store.replicas_behind')).toEqual([{ event: 'store.replicas_behind', acked: 0, expected: 1, timeoutMs: 20 }]);
    } finally {
      for (const key of await plain.list('')) await plain.delete(key);
      await Promise.all([store.close(), plain.close()]);
    }
  });
});
