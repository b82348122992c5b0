import { inject } from 'vitest';
import type { RedisConnectionConfig } from '../../src/storage/redis-client.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Seed nodes of the private Redis Cluster started by test/cluster/global-setup.ts (npm run test:cluster). */
    redisClusterNodes?: string[];
  }
}

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * The Redis the tests' `redis` stores use: the shared standalone Redis in `npm test`, the private Redis Cluster in
 * `npm run test:cluster`, so one test file proves the same behaviour on both.
 */
export function testRedisConnection(): RedisConnectionConfig {
  const nodes = inject('redisClusterNodes');
  return nodes && nodes.length > 0 ? { cluster: { nodes } } : { url: REDIS_URL };
}
