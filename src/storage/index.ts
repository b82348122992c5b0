import type { Clock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import { createMemoryStore } from './memory.ts';
import type { Store } from './port.ts';
import { createRedisStore } from './redis.ts';
import { createUpstashStore } from './upstash.ts';

export type { Store } from './port.ts';
export { StoreUnavailableError } from './port.ts';

/**
 * Chooses the adapter from validated configuration (the schema already requires `url` for redis and upstash). This
 * module imports ioredis: the Worker entry builds its stores itself (src/runtime/worker/store.ts), never through here.
 */
export function createStore(config: Config['store'], deps: { clock: Clock; logger: Logger }): Store {
  switch (config.type) {
    case 'memory':
      return createMemoryStore({ clock: deps.clock, keyPrefix: config.keyPrefix });
    case 'redis':
      if (config.url === undefined && !config.cluster && !config.sentinel) throw new TypeError('store.url is required when store.type is "redis"');
      return createRedisStore({
        connection: config,
        waitForReplicas: config.waitForReplicas,
        keyPrefix: config.keyPrefix,
        logger: deps.logger.child({ component: 'store' }),
      });
    case 'upstash':
      if (config.url === undefined || config.token === undefined) throw new TypeError('store.url and store.token are required when store.type is "upstash"');
      return createUpstashStore({ url: config.url, token: config.token, keyPrefix: config.keyPrefix, logger: deps.logger.child({ component: 'store' }) });
    case 'durable-object':
      throw new TypeError('store.type "durable-object" needs a Durable Object binding: it is available only when the bridge runs on Cloudflare Workers');
  }
}
