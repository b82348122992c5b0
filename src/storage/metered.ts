import type { BridgeMetrics } from '../observability/metrics.ts';
import type { Store } from './port.ts';

type Operation = Exclude<keyof Store, 'close'>;
const OPERATIONS: readonly Operation[] = ['get', 'set', 'setIfAbsent', 'getAndDelete', 'compareAndSwap', 'delete', 'list', 'ping'];

/**
 * The store port with every call counted and timed (operation, ok/error, seconds), like outage.ts wraps the adapters'
 * errors. The operation names are the port's method names: a bounded label set. Runtime-neutral.
 */
export function meterStore(store: Store, metrics: Pick<BridgeMetrics, 'storeCall'>): Store {
  const metered = { close: () => store.close() } as Store;
  for (const operation of OPERATIONS) {
    const call = store[operation].bind(store) as (...args: unknown[]) => Promise<unknown>;
    (metered as unknown as Record<string, unknown>)[operation] = async (...args: unknown[]) => {
      const started = performance.now();
      try {
        const result = await call(...args);
        metrics.storeCall(operation, true, (performance.now() - started) / 1000);
        return result;
      } catch (error) {
        metrics.storeCall(operation, false, (performance.now() - started) / 1000);
        throw error;
      }
    };
  }
  return metered;
}
