import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Config } from '../config/schema.ts';
import { observeEvents, type EventObserver } from '../observability/event-hook.ts';
import type { Logger } from '../observability/logger.ts';
import { createPrometheusMetrics, type PrometheusMetrics } from '../observability/prometheus.ts';
import { meterStore } from '../storage/metered.ts';
import { createAuditSink } from './audit-sink.ts';
import type { Store } from '../storage/port.ts';

// biome-ignore lint/suspicious/noExplicitAny: the runtime's extra fetch arguments pass through untouched.
type Fetch = (request: Request, ...rest: any[]) => Response | Promise<Response>;

/** What the Node entry adds around the runtime-neutral app: Prometheus metrics (and the observers of the log events). */
export interface NodeObservability {
  /** The logger to give the bridge: every named event also reaches the metrics (and the audit sink). */
  logger: Logger;
  prometheus: PrometheusMetrics;
  /** The store port, counted and timed. */
  meter(store: Store): Store;
  /**
   * The main listener's fetch: GET /metrics is answered here unless `server.adminPort` is set (DESIGN §10). It is not
   * in the route table because it exists only on Node.
   */
  mainFetch<F extends Fetch>(appFetch: F): F;
  /** Starts the admin listener (only /metrics) when `server.adminPort` is set. */
  startAdmin(host: string): Promise<AdminServer | undefined>;
  /** Closes the audit file (after the last event). */
  close(): void;
}

export interface AdminServer {
  url: string;
  close(): Promise<void>;
}

export function createNodeObservability(config: Config, logger: Logger, extraObservers: readonly EventObserver[] = []): NodeObservability {
  const audit = config.logging.audit && createAuditSink(config.logging.audit);
  const prometheus = createPrometheusMetrics({ idps: config.identityProviders.map((i) => i.id), clients: config.clients.map((c) => c.clientId) });
  const metricsOnly = (request: Request): Response | Promise<Response> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405, headers: { Allow: 'GET' } });
    return prometheus.respond();
  };
  const isMetrics = (request: Request) => new URL(request.url).pathname === '/metrics';
  return {
    logger: observeEvents(logger, [prometheus.metrics.event, ...(audit ? [audit.observer] : []), ...extraObservers]),
    close: () => audit?.close(),
    prometheus,
    meter: (store) => meterStore(store, prometheus.metrics),
    mainFetch: <F extends Fetch>(appFetch: F): F =>
      config.server.adminPort === undefined
        ? (((request, ...rest) => (isMetrics(request) ? metricsOnly(request) : appFetch(request, ...rest))) as F)
        : appFetch,
    async startAdmin(host) {
      if (config.server.adminPort === undefined) return undefined;
      const fetch = (request: Request) => (isMetrics(request) ? metricsOnly(request) : new Response('not found\n', { status: 404 }));
      const server: ServerType = await new Promise((listening, failed) => {
        const s = serve({ fetch, hostname: host, port: config.server.adminPort! }, () => listening(s));
        s.once('error', failed);
      });
      const port = (server.address() as AddressInfo).port;
      const url = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
      logger.info({ event: 'server.admin_started', url }, `metrics on ${url}/metrics`);
      return {
        url,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      };
    },
  };
}
