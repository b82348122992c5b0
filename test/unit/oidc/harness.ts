import { Hono } from 'hono';
import type { Logger } from '../../../src/observability/logger.ts';
import { renderError } from '../../../src/oidc/responses.ts';
import type { BridgeContext, BridgeEnv, Channel, RedirectTarget } from '../../../src/oidc/services.ts';

/**
 * A one-route app with the bridge's error renderer, for `app.request`-level tests of a check or of the renderer:
 * the handler runs on a route of the given channel, optionally with a verified redirect target.
 */
export function routeApp(handler: (c: BridgeContext) => Response | Promise<Response>, options: { channel?: Channel; target?: RedirectTarget } = {}) {
  const app = new Hono<BridgeEnv>();
  const logs: Record<string, unknown>[] = [];
  const log = recordingLogger(logs);
  app.use(async (c, next) => {
    c.set('requestId', 'req-1');
    c.set('log', log);
    c.set('route', { name: 'test', channel: options.channel ?? 'back', rejectEvent: 'test.rejected' });
    if (options.target) c.set('redirectTarget', options.target);
    await next();
  });
  app.all('/*', handler);
  app.onError((error, c) => renderError(c, error));
  return Object.assign(app, { logs });
}

/** A Logger that keeps every event, with the level, for assertions on what was logged. */
export function recordingLogger(into: Record<string, unknown>[], bindings: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (fields: Record<string, unknown>, msg?: string) => void into.push({ level, ...bindings, ...fields, msg });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => recordingLogger(into, { ...bindings, ...more }) };
}

/**
 * What a back-channel route answers when it runs `check`: 'ok' when it passes, else `error/reason` (the OAuth error
 * the client sees, and the reason the renderer logged).
 */
export async function outcomeOf(check: (c: BridgeContext) => unknown, init?: RequestInit & { path?: string }): Promise<string> {
  const app = routeApp(async (c) => {
    await check(c);
    return c.text('ok');
  });
  const response = await app.request(init?.path ?? '/', init);
  if (response.status === 200) return 'ok';
  const { error } = (await response.json()) as { error: string };
  return `${error}/${String(app.logs.find((e) => e.event === 'test.rejected')?.reason)}`;
}
