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
