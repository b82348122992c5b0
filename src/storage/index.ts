import type { Clock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import { createMemoryStore } from './memory.ts';
import type { Store } from './port.ts';
import { createRedisStore } from './redis.ts';

export type { Store } from './port.ts';
export { StoreUnavailableError } from './port.ts';

/**
 * Chooses the adapter from validated configuration (the schema already requires `url` for redis). This module
 * imports ioredis; a Worker build should import its edge adapter directly instead of this file.
 */
export function createStore(config: Config['store'], deps: { clock: Clock; logger: Logger }): Store {
  switch (config.type) {
    case 'memory':
      return createMemoryStore({ clock: deps.clock, keyPrefix: config.keyPrefix });
    case 'redis':
      if (config.url === undefined) throw new TypeError('store.url is required when store.type is "redis"');
      return createRedisStore({
        url: config.url,
        keyPrefix: config.keyPrefix,
        logger: deps.logger.child({ component: 'store' }),
      });
  }
}
