import { pollUntil } from '../helpers/poll-until.ts';
import type { StoreHarness } from './store-contract.ts';

/** The few admin commands the TTL checks need; ioredis and @upstash/redis both have them. No Node import (workerd). */
interface RedisAdmin {
  pttl(key: string): Promise<number>;
  exists(...keys: string[]): Promise<number>;
}

/** The contract's TTL view of a Redis-backed adapter: PTTL read directly, and real (50 ms) TTLs that Redis expires. */
export function redisTtlHarness(admin: RedisAdmin, keyPrefix: string): Pick<StoreHarness, 'pttl' | 'expire'> {
  return {
    pttl: (key) => admin.pttl(keyPrefix + key),
    expire: (key) => pollUntil(async () => (await admin.exists(keyPrefix + key)) === 0, { what: `Redis to expire ${key}` }),
  };
}
