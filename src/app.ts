import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { createRuntime, type BridgeDeps, type BridgeEnv } from './oidc/deps.ts';
import { errorPage } from './oidc/responses.ts';
import { registerRoutes } from './oidc/routes.ts';

/** Pages are for browsers on front-channel routes; everything else answers in JSON. */
const FRONT_CHANNEL = /^\/(authorize|login\/|ui\/login\/|idps\/)/;
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Builds the bridge as a Hono app from explicit dependencies. Composition only: no environment access and no
 * runtime imports, so the Node and Worker entries share it unchanged (DESIGN §7).
 */
export function createApp(deps: BridgeDeps): Hono<BridgeEnv> {
  const runtime = createRuntime(deps);
  const app = new Hono<BridgeEnv>();

  app.use(requestId({ limitLength: 64 }));
  app.use(async (c, next) => {
    const log = deps.logger.child({ requestId: c.get('requestId') });
    c.set('log', log);
    const started = performance.now();
    await next();
    // Path only: query strings carry codes, completion values and state.
    log.debug({ event: 'http.request', method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) }, 'request');
  });
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json({ error: 'invalid_request', error_description: 'request body too large' }, 413, { 'Cache-Control': 'no-store' }),
    }),
  );

  registerRoutes(app, runtime);

  app.notFound((c) => c.json({ error: 'not_found' }, 404));
  app.onError((error, c) => {
    // Anything unexpected: details to the log only; a generic answer to the caller.
    (c.get('log') ?? deps.logger).error({ event: 'request.failed', path: c.req.path, err: error }, 'unexpected error');
    if (FRONT_CHANNEL.test(c.req.path)) return errorPage(c, 500, 'Something went wrong', 'The sign-in service hit an unexpected error. Please try again.');
    return c.json({ error: 'server_error', error_description: 'the server could not complete the request' }, 500, { 'Cache-Control': 'no-store' });
  });
  return app;
}
