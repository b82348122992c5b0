import { env } from 'cloudflare:workers';
import { Redis } from '@upstash/redis/cloudflare';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/observability/logger.ts';
import { createUpstashStore } from '../../../src/storage/upstash.ts';
import { redisTtlHarness } from '../../contract/redis-ttl.ts';
import { describeStoreContract } from '../../contract/store-contract.ts';

/**
 * The Upstash adapter inside workerd (its Cloudflare build, Workers fetch), against the loopback REST stand-in that
 * forwards to the local Redis (started by global-setup.ts). Proves the client side only, as in the Node run.
 */
const url = env.TEST_UPSTASH_URL as string;
const token = env.TEST_UPSTASH_TOKEN as string;
const admin = new Redis({ url, token, automaticDeserialization: false, enableAutoPipelining: false, enableTelemetry: false });

describeStoreContract('upstash (in workerd)', async () => {
  const keyPrefix = `test:${crypto.randomUUID()}:*[?]:`;
  const store = createUpstashStore({ url, token, keyPrefix, logger: silentLogger });
  const peer = createUpstashStore({ url, token, keyPrefix, logger: silentLogger });
  return {
    store,
    peer,
    ...redisTtlHarness(admin, keyPrefix),
    async cleanup() {
      const sweeper = createUpstashStore({ url, token, keyPrefix, logger: silentLogger });
      for (const key of await sweeper.list('')) await sweeper.delete(key);
      await Promise.all([store.close(), peer.close(), sweeper.close()]);
    },
  };
});

describe('upstash store (in workerd)', () => {
  it('keeps JSON-looking values as strings', async () => {
    const store = createUpstashStore({ url, token, keyPrefix: `test:${crypto.randomUUID()}:`, logger: silentLogger });
    await store.set('k', '{"a":1}');
    expect(await store.getAndDelete('k')).toBe('{"a":1}');
  });
});
