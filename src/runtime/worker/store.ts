import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../observability/logger.ts';
import { createDurableObjectStore } from '../../storage/durable-object-store.ts';
import type { Store } from '../../storage/port.ts';
import { createUpstashStore } from '../../storage/upstash.ts';
import { durableObjectNamespace, WorkerBindingError, type WorkerEnv } from './bindings.ts';

/**
 * The Worker's store: a Durable Object namespace or Upstash. The other types are refused with the reason, not run
 * wrongly: `memory` would keep auth requests and codes per isolate (a code issued by one isolate could not be redeemed
 * by another), and `redis` needs a TCP client (ioredis is Node-only; Upstash speaks the same keys and scripts).
 */
export function createWorkerStore(config: Config, env: WorkerEnv, logger: Logger): Store {
  const { store } = config;
  const log = logger.child({ component: 'store' });
  switch (store.type) {
    case 'durable-object':
      return createDurableObjectStore({
        namespace: durableObjectNamespace(env, config),
        keyPrefix: store.keyPrefix,
        logger: log,
        ...(store.shards && { shards: store.shards }),
      });
    case 'upstash':
      return createUpstashStore({ url: store.url!, token: store.token!, keyPrefix: store.keyPrefix, logger: log });
    case 'memory':
      throw new WorkerBindingError('store.type: "memory" keeps state per isolate, which breaks logins on Workers; use "durable-object" or "upstash"');
    case 'redis':
      throw new WorkerBindingError(
        'store.type: "redis" needs a TCP client that Workers lack; use "upstash" (same keys and scripts, so it can share the Redis of Node instances) or "durable-object"',
      );
  }
}
