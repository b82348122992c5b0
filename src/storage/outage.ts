import type { Logger } from '../observability/logger.ts';
import { StoreUnavailableError } from './port.ts';

/** The adapters that can be unreachable; the `store` field of the outage events. */
export type RemoteStoreName = 'redis' | 'upstash' | 'durable-object';

export interface OutageGuard {
  /**
   * Runs one port call. Any client or connection error becomes a StoreUnavailableError whose message and cause carry
   * only the adapter's safe description (no URL password, token, key or stored value).
   */
  run<T>(operation: string, call: () => Promise<T>): Promise<T>;
  /** The store went away: logs `store.unavailable` once per outage. */
  down(error: unknown, operation?: string): void;
  /** The store answers again: logs `store.ready` once, when it had been down. */
  up(): void;
  readonly isDown: boolean;
  /** Later calls are refused with StoreUnavailableError. */
  close(): void;
}

/**
 * The ONE place where an adapter's errors become StoreUnavailableError and outages are logged, shared by every remote
 * adapter. By default each call's outcome moves the outage state (HTTP and RPC clients); an adapter whose client
 * reports its connection state itself (ioredis events) passes `trackCalls: false` and calls `down`/`up` from them.
 */
export function createOutageGuard(options: {
  store: RemoteStoreName;
  logger: Logger;
  /** A message safe for logs and errors (credentials and payloads removed). Default: the error's message. */
  describe?: (error: unknown) => string;
  trackCalls?: boolean;
  /** True when a call should fail at once, without reaching the client (e.g. known down and not reconnected). */
  failFast?: () => boolean;
}): OutageGuard {
  const { store, logger } = options;
  const describe = options.describe ?? ((error: unknown) => (error instanceof Error ? error.message : String(error)));
  const trackCalls = options.trackCalls ?? true;
  let outage = false;
  let closed = false;

  const guard: OutageGuard = {
    get isDown() {
      return outage;
    },
    down(error, operation) {
      if (outage) return;
      outage = true;
      logger.warn({ event: 'store.unavailable', store, ...(operation && { operation }), error: describe(error) }, `${store} store unreachable`);
    },
    up() {
      if (outage) logger.info({ event: 'store.ready', store }, `${store} store reachable again`);
      outage = false;
    },
    close() {
      closed = true;
    },
    async run(operation, call) {
      if (closed) throw new StoreUnavailableError(`${store} store is closed`);
      if (options.failFast?.()) throw new StoreUnavailableError(`${store} ${operation} failed: unreachable`);
      try {
        const result = await call();
        if (trackCalls) guard.up();
        return result;
      } catch (error) {
        const message = describe(error);
        if (trackCalls) guard.down(error, operation);
        const cause = Object.assign(new Error(message), { name: error instanceof Error ? error.name : 'Error' });
        throw new StoreUnavailableError(`${store} ${operation} failed: ${message}`, { cause });
      }
    },
  };
  return guard;
}
