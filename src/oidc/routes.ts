import type { Hono } from 'hono';
import { cors } from 'hono/cors';
import { createAuthorizeHandler } from './endpoints/authorize.ts';
import { createCallbackHandler } from './endpoints/callback.ts';
import { OAuthError } from './errors.ts';
import { createJwtEndpointHandler } from './endpoints/jwt-endpoint.ts';
import { renderError } from './responses.ts';
import type { BridgeContext, BridgeEnv, BridgeServices, Channel } from './services.ts';
import { createTokenHandler } from './endpoints/token.ts';
import { createUserinfoHandler } from './endpoints/userinfo.ts';
import { createRevokeHandler } from './endpoints/revoke.ts';
import { createIntrospectHandler } from './endpoints/introspect.ts';
import { createEndSessionDoneHandler, createEndSessionHandler } from './endpoints/end-session.ts';
import { createDeviceAuthorizationHandler } from './endpoints/device-authorization.ts';
import { createDeviceHandler } from './endpoints/device.ts';

type Method = 'GET' | 'POST';
type Handler = (c: BridgeContext) => Response | Promise<Response>;

/** The JWT endpoint's paths: ours plus ZITADEL's, so existing WAF rules keep working (DESIGN §2). */
export const JWT_ENDPOINT_PATHS = ['/login/jwt', '/ui/login/login/jwt/authorize', '/idps/jwt'];

interface Route {
  /** The route's name: in logs, and the metrics label (never the raw path). */
  name: string;
  paths: string[];
  methods: Method[];
  /** front: a browser is in front of it (pages, error redirects). back: a client or an API (JSON). */
  channel: Channel;
  /** Callable from any web origin (CORS), for SPAs. */
  crossOrigin?: boolean;
  /** The log event of a refused request. */
  rejectEvent: string;
  handler: Handler;
}

/** The whole route table of the bridge, in one place (DESIGN §2). */
export function routeTable(services: BridgeServices): Route[] {
  const { keys, store, discovery } = services;
  return [
    {
      name: 'discovery',
      paths: ['/.well-known/openid-configuration'],
      methods: ['GET'],
      channel: 'back',
      crossOrigin: true,
      rejectEvent: 'discovery.rejected',
      handler: (c) => c.json(discovery, 200, { 'Cache-Control': 'public, max-age=300' }),
    },
    {
      name: 'jwks',
      paths: ['/jwks'],
      methods: ['GET'],
      channel: 'back',
      crossOrigin: true,
      rejectEvent: 'jwks.rejected',
      handler: (c) => c.json(keys.publicJwks, 200, { 'Cache-Control': 'public, max-age=300', 'Content-Type': 'application/jwk-set+json' }),
    },
    {
      name: 'authorize',
      paths: ['/authorize'],
      methods: ['GET', 'POST'],
      channel: 'front',
      rejectEvent: 'authorize.rejected',
      handler: createAuthorizeHandler(services),
    },
    {
      name: 'jwt_endpoint',
      paths: JWT_ENDPOINT_PATHS,
      methods: ['GET'],
      channel: 'front',
      rejectEvent: 'legacy.rejected',
      handler: createJwtEndpointHandler(services),
    },
    {
      name: 'callback',
      paths: ['/login/jwt/callback'],
      methods: ['GET'],
      channel: 'front',
      rejectEvent: 'callback.rejected',
      handler: createCallbackHandler(services),
    },
    {
      name: 'token',
      paths: ['/token'],
      methods: ['POST'],
      channel: 'back',
      crossOrigin: true,
      rejectEvent: 'token.rejected',
      handler: createTokenHandler(services),
    },
    {
      name: 'userinfo',
      paths: ['/userinfo'],
      methods: ['GET', 'POST'],
      channel: 'back',
      crossOrigin: true,
      rejectEvent: 'userinfo.rejected',
      handler: createUserinfoHandler(services),
    },
    {
      name: 'revoke',
      paths: ['/revoke'],
      methods: ['POST'],
      channel: 'back',
      crossOrigin: true,
      rejectEvent: 'revoke.rejected',
      handler: createRevokeHandler(services),
    },
    {
      name: 'introspect',
      paths: ['/introspect'],
      methods: ['POST'],
      channel: 'back',
      rejectEvent: 'introspect.rejected',
      handler: createIntrospectHandler(services),
    },
    {
      name: 'end_session',
      paths: ['/end_session'],
      methods: ['GET', 'POST'],
      channel: 'front',
      rejectEvent: 'logout.rejected',
      handler: createEndSessionHandler(services),
    },
    {
      name: 'end_session_done',
      paths: ['/end_session/done'],
      methods: ['GET'],
      channel: 'front',
      rejectEvent: 'logout.rejected',
      handler: createEndSessionDoneHandler(services),
    },
    {
      name: 'device_authorization',
      paths: ['/device_authorization'],
      methods: ['POST'],
      channel: 'back',
      crossOrigin: true,
      rejectEvent: 'device.rejected',
      handler: createDeviceAuthorizationHandler(services),
    },
    {
      name: 'device',
      paths: ['/device'],
      methods: ['GET', 'POST'],
      channel: 'front',
      rejectEvent: 'device.rejected',
      handler: createDeviceHandler(services),
    },
    { name: 'healthz', paths: ['/healthz'], methods: ['GET'], channel: 'back', rejectEvent: 'health.rejected', handler: (c) => c.json({ status: 'ok' }) },
    {
      name: 'readyz',
      paths: ['/readyz'],
      methods: ['GET'],
      channel: 'back',
      rejectEvent: 'health.rejected',
      handler: async (c) => {
        const storeUp = await store.ping().then(
          () => true,
          () => false,
        );
        return storeUp ? c.json({ status: 'ready', keys: keys.all.length }) : c.json({ status: 'unavailable', reason: 'store' }, 503);
      },
    },
  ];
}

/** Mounts the table: each row's channel is known to the renderer before its handler runs. */
export function registerRoutes(app: Hono<BridgeEnv>, services: BridgeServices): void {
  const publicApi = cors({ origin: '*', allowMethods: ['GET', 'POST'], allowHeaders: ['Authorization', 'Content-Type'], maxAge: 600 });
  for (const route of routeTable(services)) {
    const info = { name: route.name, channel: route.channel, rejectEvent: route.rejectEvent };
    for (const path of route.paths) {
      app.use(path, async (c, next) => {
        c.set('route', info);
        await next();
      });
      if (route.crossOrigin) app.use(path, publicApi);
      app.on(route.methods, path, route.handler);
      // Reached only by other methods (HEAD is served by GET; CORS preflights are answered by the middleware).
      app.all(path, (c) => renderError(c, methodNotAllowed(route.methods), 'back'));
    }
  }
}

const methodNotAllowed = (methods: Method[]) =>
  new OAuthError('invalid_request', `use ${methods.join(' or ')}`, { status: 405, headers: { Allow: methods.join(', ') } });
