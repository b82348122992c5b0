import type { Clock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import { createMemoryStore } from './memory.ts';
import type { Store } from './port.ts';

export type { Store } from './port.ts';
export { StoreUnavailableError } from './port.ts';

/**
 * Chooses the adapter from validated configuration (the schema already requires `url` for redis and upstash). The
 * Redis and Upstash clients are imported only when configured (ioredis alone is ~20 MB of resident memory that a
 * memory-store deployment never uses). The Worker entry builds its stores itself (src/runtime/worker/store.ts).
 */
export async function createStore(config: Config['store'], deps: { clock: Clock; logger: Logger }): Promise<Store> {
  switch (config.type) {
    case 'memory':
      return createMemoryStore({ clock: deps.clock, keyPrefix: config.keyPrefix });
    case 'redis': {
      if (config.url === undefined && !config.cluster && !config.sentinel) throw new TypeError('store.url is required when store.type is "redis"');
      const { createRedisStore } = await import('./redis.ts');
      return createRedisStore({
        connection: config,
        waitForReplicas: config.waitForReplicas,
        keyPrefix: config.keyPrefix,
        logger: deps.logger.child({ component: 'store' }),
      });
    }
    case 'upstash': {
      if (config.url === undefined || config.token === undefined) throw new TypeError('store.url and store.token are required when store.type is "upstash"');
      const { createUpstashStore } = await import('./upstash.ts');
      return createUpstashStore({ url: config.url, token: config.token, keyPrefix: config.keyPrefix, logger: deps.logger.child({ component: 'store' }) });
    }
    case 'durable-object':
      throw new TypeError('store.type "durable-object" needs a Durable Object binding: it is available only when the bridge runs on Cloudflare Workers');
  }
}
