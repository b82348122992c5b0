import { randomBytes } from 'node:crypto';
import { silentLogger } from '../../src/observability/logger.ts';
import { createRedisStore } from '../../src/storage/redis.ts';
import { createTopologyClient } from '../../src/storage/redis-client.ts';
import { testRedisConnection } from '../helpers/redis-target.ts';
import { redisTtlHarness } from './redis-ttl.ts';
import { describeStoreContract } from './store-contract.ts';

// The shared standalone Redis in `npm test`; a private 3-master Redis Cluster in `npm run test:cluster`.
const connection = testRedisConnection();

describeStoreContract(connection.cluster ? 'redis cluster' : 'redis', async () => {
  // A random prefix per test keeps parallel runs apart; its glob characters check that SCAN MATCH escapes it.
  const keyPrefix = `test:${randomBytes(6).toString('hex')}:*[?]:`;
  const store = createRedisStore({ connection, keyPrefix, logger: silentLogger });
  const peer = createRedisStore({ connection, keyPrefix, logger: silentLogger }); // its own connection
  const admin = createTopologyClient(connection);
  return {
    store,
    peer,
    ...redisTtlHarness(admin, keyPrefix),
    async cleanup() {
      const sweeper = createRedisStore({ connection, keyPrefix, logger: silentLogger });
      for (const key of await sweeper.list('')) await sweeper.delete(key);
      await Promise.all([store.close(), peer.close(), sweeper.close(), admin.quit()]);
    },
  };
});
