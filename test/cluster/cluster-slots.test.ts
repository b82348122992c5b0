/**
 * The cluster run really is on a cluster: the bridge's keys spread over every master (no constant hash tag), and the
 * slot function of the unit test (test/unit/storage/redis-slots.test.ts) agrees with the server's CLUSTER KEYSLOT.
 */
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.ts';
import { createRedisStore } from '../../src/storage/redis.ts';
import { completeSignIn } from '../helpers/app-client.ts';
import { keySlot } from '../helpers/key-slot.ts';
import { testRedisConnection } from '../helpers/redis-target.ts';
import { startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

describe('Redis Cluster: keys and slots', () => {
  let stack: Stack;
  let admin: Cluster;
  beforeAll(async () => {
    stack = await startStack({ store: 'redis' });
    const { cluster } = testRedisConnection();
    admin = new Cluster(cluster!.nodes.map((url) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) })));
  });
  afterAll(async () => {
    await stack?.close();
    admin?.disconnect();
  });

  it("a login's keys land on several masters, and the slots agree with CLUSTER KEYSLOT", async () => {
    for (let i = 0; i < 5; i++) await completeSignIn(stack, await stack.browser(`spread-${i}`), WEB_APP);
    const perMaster = await Promise.all(admin.nodes('master').map(async (node) => (await node.keys(`${stack.keyPrefix}*`)).length));
    expect(perMaster.filter((count) => count > 0).length).toBe(3);
    const master = admin.nodes('master')[0]!;
    for (const key of [`${stack.keyPrefix}user:x`, 'a{}b{c}', '{user1000}.following', 'foo{}{bar}', 'foo{{bar}}zap', 'ünï{cødé}']) {
      expect(keySlot(key), key).toBe(await master.cluster('KEYSLOT', key));
    }
  });

  it('waitForReplicas works through Cluster pipelines, scripts included (no replicas here: every write falls short)', async () => {
    const keyPrefix = `test:wait:${crypto.randomUUID()}:`;
    const store = createRedisStore({ connection: testRedisConnection(), keyPrefix, logger: silentLogger, waitForReplicas: { replicas: 1, timeoutMs: 20 } });
    try {
      // Keys on different masters: a CROSSSLOT, MOVED or NOSCRIPT problem in the pipeline would show as another error.
      for (const key of ['a', 'b', 'c', 'd', 'e']) {
        await expect(store.set(key, 'v')).rejects.toThrow(/0 of 1 replicas acknowledged the write/);
        await expect(store.compareAndSwap(key, 'v', 'w')).rejects.toThrow(/0 of 1 replicas acknowledged the write/);
        expect(await store.get(key)).toBe('w');
      }
    } finally {
      const plain = createRedisStore({ connection: testRedisConnection(), keyPrefix, logger: silentLogger });
      for (const key of await plain.list('')) await plain.delete(key);
      await Promise.all([store.close(), plain.close()]);
    }
  });
});
