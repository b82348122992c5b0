import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { silentLogger } from '../../src/observability/logger.ts';
import { createRedisStore } from '../../src/storage/redis.ts';
import { redisTtlHarness } from './redis-ttl.ts';
import { describeStoreContract } from './store-contract.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describeStoreContract('redis', async () => {
  // A random prefix per test keeps parallel runs apart; its glob characters check that SCAN MATCH escapes it.
  const keyPrefix = `test:${randomBytes(6).toString('hex')}:*[?]:`;
  const store = createRedisStore({ url, keyPrefix, logger: silentLogger });
  const peer = createRedisStore({ url, keyPrefix, logger: silentLogger }); // its own connection
  const admin = new Redis(url);
  return {
    store,
    peer,
    ...redisTtlHarness(admin, keyPrefix),
    async cleanup() {
      const sweeper = createRedisStore({ url, keyPrefix, logger: silentLogger });
      for (const key of await sweeper.list('')) await sweeper.delete(key);
      await Promise.all([store.close(), peer.close(), sweeper.close(), admin.quit()]);
    },
  };
});
