import { defineConfig } from 'vitest/config';

/**
 * `npm run test:cluster`: the Redis tests again, on a private 3-master Redis Cluster (test/cluster/global-setup.ts),
 * plus the Sentinel failover test. Not part of `npm test`; `.ci/run` calls it after `npm test`.
 */
export default defineConfig({
  test: {
    name: 'cluster',
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    restoreMocks: true,
    globalSetup: ['./test/cluster/global-setup.ts'],
    include: [
      'test/cluster/**/*.test.ts',
      // These use `testRedisConnection()` (test/helpers/redis-target.ts): on the cluster here, standalone in npm test.
      'test/contract/redis.test.ts',
      'test/e2e/login.test.ts',
      'test/e2e/refresh.test.ts',
      'test/e2e/concurrency.test.ts',
      'test/e2e/refresh-concurrency.test.ts',
      'test/e2e/device.test.ts',
      'test/e2e/device-concurrency.test.ts',
    ],
    // The stores' redis runs only: the memory variants already ran in npm test.
    testNamePattern: /redis|Redis|bridge instances|Sentinel/,
  },
});
