import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { OAuthError } from './oidc/errors.ts';
import { renderError } from './oidc/responses.ts';
import { registerRoutes } from './oidc/routes.ts';
import { createServices, type BridgeDeps, type BridgeEnv } from './oidc/services.ts';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * Builds the bridge as a Hono app from explicit dependencies. Composition only: no environment access and no
 * runtime imports, so the Node and Worker entries share it unchanged (DESIGN §7).
 */
export function createApp(deps: BridgeDeps): Hono<BridgeEnv> {
  const services = createServices(deps);
  const app = new Hono<BridgeEnv>();

  app.use(requestId({ limitLength: 64 }));
  app.use(async (c, next) => {
    const log = deps.logger.child({ requestId: c.get('requestId') });
    c.set('log', log);
    const started = performance.now();
    await next();
    // Path only: query strings carry codes, completion values and state.
    log.debug(
      {
        event: 'http.request',
        route: c.get('route')?.name,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  });
  const tooLarge = (c: Context<BridgeEnv>) =>
    renderError(c, new OAuthError('invalid_request', 'request body too large', { status: 413, reason: 'parameter_too_long' }), 'back');
  const limitBody = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge });
  // bodyLimit asks for `c.req.raw.body` first, which makes @hono/node-server build a full Request (a visible share of
  // the JWT endpoint's CPU) and then read the form through a web stream instead of straight from the socket. So: GET
  // and HEAD carry no body the bridge reads; a declared Content-Length is checked as bodyLimit would; only a chunked
  // body, whose size is known once read, goes through bodyLimit itself.
  app.use(async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return limitBody(c, next);
    return Number.parseInt(length, 10) > MAX_BODY_BYTES ? tooLarge(c) : next();
  });

  registerRoutes(app, services);

  app.notFound((c) => c.json({ error: 'not_found' }, 404));
  // Handlers throw; this is the one place a failure becomes a response, by the route's channel.
  app.onError((error, c) => renderError(c, error));
  return app;
}
