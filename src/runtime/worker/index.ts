import type { ExecutionContext } from '@cloudflare/workers-types';
import type { Hono } from 'hono';
import { createConsoleLogger } from '../../observability/console-logger.ts';
import { createLogger } from '../../observability/create-logger.ts';
import type { BridgeEnv } from '../../oidc/services.ts';
import type { WorkerEnv } from './bindings.ts';
import { buildWorkerBridge } from './bridge.ts';

/** The Durable Object class of the `durable-object` store; wrangler.toml binds it as BRIDGE_STORE. */
export { BridgeStoreObject } from '../../storage/bridge-store-object.ts';
export type { WorkerEnv } from './bindings.ts';

export interface WorkerHandler {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response>;
}

/**
 * The Cloudflare Workers entry (wrangler.toml `main`). Dependencies are built once per isolate — on the first request,
 * since bindings arrive with requests — and kept for the isolate's life: config parsed and validated once, signing keys
 * imported once, one legacy verifier (with its key cache) per IdP. Bindings are fixed per deployment, so the memo is
 * keyed by nothing. A failed build is not kept: the next request tries again (e.g. after a store outage).
 */
export function createWorkerHandler(build: (env: WorkerEnv) => Promise<Hono<BridgeEnv>> = buildWorkerBridge): WorkerHandler {
  let bridge: Promise<Hono<BridgeEnv>> | undefined;
  return {
    async fetch(request, env, ctx) {
      if (!bridge) {
        const building = build(env);
        bridge = building;
        building.catch(() => {
          if (bridge === building) bridge = undefined;
        });
        // Concurrent first requests await this build too: keep it running even if the request that started it goes away.
        ctx.waitUntil(building.catch(() => undefined));
      }
      let app: Hono<BridgeEnv>;
      try {
        app = await bridge;
      } catch (error) {
        // Config and binding errors name the key path or binding; they go to the log only, never to the caller.
        createLogger(createConsoleLogger, { level: 'error' }).error({ event: 'server.start_failed', err: error }, 'the bridge could not start in this isolate');
        return Response.json(
          { error: 'server_error', error_description: 'the server is not configured correctly' },
          { status: 500, headers: { 'Cache-Control': 'no-store' } },
        );
      }
      return app.fetch(request, env, ctx);
    },
  };
}

/** One handler per isolate: module scope is the isolate's scope. */
export default createWorkerHandler();
