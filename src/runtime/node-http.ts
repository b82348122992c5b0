import type { Server, ServerOptions, ServerResponse } from 'node:http';
import type { Config } from '../config/schema.ts';

type Fetch = (request: Request, env: { outgoing?: unknown }) => Response | Promise<Response>;

/** Node http options from `server.*`: explicit timeouts instead of Node's defaults (60 s headers, 300 s request). */
export function nodeServerOptions(server: Config['server']): ServerOptions {
  return {
    headersTimeout: server.headersTimeoutSeconds * 1000,
    requestTimeout: server.requestTimeoutSeconds * 1000,
    keepAliveTimeout: server.keepAliveTimeoutSeconds * 1000,
    // How often Node looks for connections past those timeouts (default 30 s, which lets slow clients linger).
    connectionsCheckingInterval: Math.min(2000, server.headersTimeoutSeconds * 500),
  };
}

/** How long a keep-alive connection that is idle at shutdown stays open for a request its client already sent. */
export const DRAIN_LINGER_MS = 500;

/**
 * Stops listening at once (new connections are refused) and resolves when every connection has closed.
 *
 * Node's `server.close()` also closes idle keep-alive connections at once. A request the client wrote just before the
 * signal, still unread in the socket buffer, is then reset (ECONNRESET) although it was sent to a live server. Here
 * idle connections linger for `lingerMs`: what arrives meanwhile is answered (with `Connection: close`, see `drain`);
 * after that they are closed from a `setImmediate`, which runs after the poll phase has read any bytes that arrived,
 * so a connection with a request in its buffer counts as busy and is not closed under it.
 */
export function closeGracefully(server: Server, lingerMs = DRAIN_LINGER_MS): Promise<void> {
  return new Promise((done) => {
    const keep = server as { closeIdleConnections?: () => void };
    let sweep: NodeJS.Timeout | undefined;
    const closeIdle = () => setImmediate(() => server.closeIdleConnections());
    const linger = setTimeout(() => {
      closeIdle();
      sweep = setInterval(closeIdle, 100);
      sweep.unref();
    }, lingerMs);
    linger.unref();
    keep.closeIdleConnections = () => undefined; // server.close() calls it first; the prototype's comes back below
    try {
      server.close(() => {
        clearTimeout(linger);
        clearInterval(sweep);
        done();
      });
    } finally {
      delete keep.closeIdleConnections;
    }
  });
}

export interface ConnectionPolicy {
  /** Wraps the app's fetch: `Connection: close` on answers after which the socket must not be reused. */
  fetch(appFetch: Fetch): Fetch;
  /** The connection cap, on the listening server. */
  attach(server: Server): void;
  /** From now on every answer closes its connection (graceful shutdown). */
  drain(): void;
}

/**
 * Keep-alive rules:
 * - a 413 is sent before the oversized body was read; the socket cannot carry another request, so the answer says
 *   `Connection: close` and the client opens a new connection instead of losing its next pooled request;
 * - once draining, every answer says `Connection: close`, so keep-alive clients reconnect (to another instance)
 *   instead of sending on a socket that is about to be closed.
 * Oversized headers are refused by Node itself (431, connection closed).
 */
export function createConnectionPolicy(server: Config['server']): ConnectionPolicy {
  let draining = false;
  return {
    fetch(appFetch) {
      return async (request, env) => {
        const response = await appFetch(request, env);
        const outgoing = env?.outgoing as ServerResponse | undefined;
        if ((draining || response.status === 413) && outgoing && !outgoing.headersSent) outgoing.setHeader('connection', 'close');
        return response;
      };
    },
    attach(listening) {
      listening.maxConnections = server.maxConnections;
    },
    drain() {
      draining = true;
    },
  };
}
