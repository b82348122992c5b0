import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { JWK } from 'jose';
import { systemClock, type Clock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import { createLogger } from '../observability/create-logger.ts';
import { createPinoLogger } from '../observability/pino.ts';
import { SigningKeyError } from '../keys/signing-keys.ts';
import { createStore } from '../storage/index.ts';
import { composeBridge } from './compose.ts';
import { closeGracefully, createConnectionPolicy, nodeServerOptions } from './node-http.ts';
import { createNodeObservability, type AdminServer } from './node-observability.ts';
import { createReloadableApp } from './reload.ts';

/** Reads `signing.keys` entries: `{ file }` relative to the config file's folder, or inline `{ jwk }`. */
export async function readSigningJwks(config: Config, configFile?: string): Promise<JWK[]> {
  const base = configFile ? dirname(resolve(configFile)) : process.cwd();
  return Promise.all(
    config.signing.keys.map(async (entry, i) => {
      const status = entry.status && { status: entry.status };
      if ('jwk' in entry) return { ...entry.jwk, ...status } as JWK;
      try {
        return { ...(JSON.parse(await readFile(resolve(base, entry.file), 'utf8')) as JWK), ...status };
      } catch (error) {
        throw new SigningKeyError(
          `signing.keys[${i}].file`,
          `cannot read a JWK from ${entry.file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        );
      }
    }),
  );
}

export interface RunningServer {
  url: string;
  port: number;
  /** The admin listener (GET /metrics) when `server.adminPort` is set. */
  adminUrl?: string;
  /** Swaps in a new configuration (same server, store and logging sections); throws ReloadError or ConfigError otherwise. */
  reload(next: Config): Promise<void>;
  close(): Promise<void>;
}

/** Starts the bridge on Node. Returns once it listens; `close` stops accepting, drains in-flight requests, closes the store. */
export async function startNodeServer(options: {
  config: Config;
  configFile?: string;
  logger?: Logger;
  clock?: Clock;
  port?: number;
  host?: string;
}): Promise<RunningServer> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const observability = createNodeObservability(config, options.logger ?? createLogger(createPinoLogger, config));
  const logger = observability.logger;
  const store = observability.meter(await createStore(config.store, { clock, logger }));
  let admin: AdminServer | undefined;
  try {
    const signingJwks = await readSigningJwks(config, options.configFile);
    const remoteAddress = (c: Parameters<typeof getConnInfo>[0]) => getConnInfo(c).remote.address;
    const { app } = await composeBridge({ config, clock, logger, store, signingJwks, remoteAddress });
    const reloadable = createReloadableApp(config, app.fetch, async (next) => {
      const jwks = await readSigningJwks(next, options.configFile);
      return (await composeBridge({ config: next, clock, logger, store, signingJwks: jwks, remoteAddress })).app.fetch;
    });
    admin = await observability.startAdmin(options.host ?? config.server.host);
    const connections = createConnectionPolicy(config.server);
    const server: ServerType = await new Promise((resolveListen) => {
      const s = serve(
        {
          fetch: connections.fetch(observability.mainFetch(reloadable.fetch)),
          hostname: options.host ?? config.server.host,
          port: options.port ?? config.server.port,
          serverOptions: nodeServerOptions(config.server),
        },
        () => resolveListen(s),
      );
    });
    connections.attach(server as Server);
    const port = (server.address() as AddressInfo).port;
    const host = options.host ?? config.server.host;
    const url = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
    logger.info({ event: 'server.started', url, issuer: config.issuer, store: config.store.type }, `jwt-idp-bridge listening on ${url}`);
    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        logger.info({ event: 'server.stopping' }, 'stopping: no new connections, finishing in-flight requests');
        connections.drain();
        await closeGracefully(server as Server);
        await admin?.close();
        await store.close();
        logger.info({ event: 'server.stopped' }, 'stopped');
        observability.close();
      })());
    return { url, port, ...(admin && { adminUrl: admin.url }), reload: reloadable.reload, close };
  } catch (error) {
    await admin?.close();
    await store.close().catch(() => undefined);
    observability.close();
    throw error;
  }
}

/**
 * SIGTERM/SIGINT → graceful close; a second signal or a stuck drain (`graceMs` from the signal) exits hard. Call it
 * before the server starts, with the start's promise: a process without a SIGTERM listener is killed by the kernel at
 * once, and an orchestrator that stops a bridge while it starts (a rollout) should see it stop cleanly, not die by the
 * signal. A signal during the start waits for it, then drains as usual; a start that fails exits 1.
 */
export function closeOnSignals(starting: Promise<RunningServer>, logger: Logger, graceMs: number): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    logger.info({ event: 'server.signal', signal }, `received ${signal}`);
    const timer = setTimeout(() => {
      logger.error({ event: 'server.drain_timeout' }, 'in-flight requests did not finish in time');
      process.exit(1);
    }, graceMs);
    timer.unref();
    starting
      .then((server) => server.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
