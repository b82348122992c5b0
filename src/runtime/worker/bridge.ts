import type { Hono } from 'hono';
import { systemClock } from '../../clock.ts';
import { resolveConfig } from '../../config/resolve.ts';
import { createConsoleLogger } from '../../observability/console-logger.ts';
import { createLogger } from '../../observability/create-logger.ts';
import type { BridgeEnv } from '../../oidc/services.ts';
import { composeBridge } from '../compose.ts';
import { configDocument, signingJwks, stringBindings, type WorkerEnv } from './bindings.ts';
import { createWorkerStore } from './store.ts';

/**
 * Builds the bridge from the Worker's bindings: config (with `${VAR}` from vars and secrets), logger, store, signing
 * keys, then the same composeBridge → createApp as the Node entry. Called once per isolate (index.ts memoises it).
 */
export async function buildWorkerBridge(env: WorkerEnv): Promise<Hono<BridgeEnv>> {
  const config = resolveConfig(configDocument(env), stringBindings(env));
  const logger = createLogger(createConsoleLogger, config);
  const store = createWorkerStore(config, env, logger);
  const { app } = await composeBridge({
    config,
    clock: systemClock,
    logger,
    store,
    signingJwks: signingJwks(env, config),
    // Called as a plain function: workerd rejects `fetch` invoked as a method of another object ("Illegal invocation").
    fetch: (input, init) => fetch(input, init),
    // workerd forbids awaiting I/O another request started: each request fetches legacy keys itself.
    shareInflightFetches: false,
    // Set by Cloudflare's edge for the connecting client; a client cannot forge it there.
    remoteAddress: (c) => c.req.header('cf-connecting-ip'),
  });
  logger.info({ event: 'server.started', issuer: config.issuer, store: config.store.type, runtime: 'workers' }, 'jwt-idp-bridge ready in this isolate');
  return app;
}
