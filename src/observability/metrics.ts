import type { EventLevel } from './event-hook.ts';

/**
 * The metrics seam, runtime-neutral. The Node runtime passes the prom-client implementation
 * (src/observability/prometheus.ts, Node only); everything else sees this interface or the no-op. On Cloudflare
 * Workers there is no scrape target: the same named events reach Workers Logs (console-logger.ts) and are counted
 * there (docs/operators.md, "Running in production").
 */
export interface BridgeMetrics {
  /** One named log event with its bindings (see event-hook.ts); counters are derived from these. */
  event(level: EventLevel, fields: Readonly<Record<string, unknown>>): void;
  /** One call on the store port (storage/metered.ts). */
  storeCall(operation: string, ok: boolean, seconds: number): void;
}
