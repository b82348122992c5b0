import type { Hono } from 'hono';
import { cors } from 'hono/cors';
import { createAuthRequests } from './auth-requests.ts';
import { createAuthorizeHandler } from './authorize.ts';
import { createCallbackHandler } from './callback.ts';
import { createCodes } from './codes.ts';
import type { BridgeContext, BridgeEnv, BridgeRuntime } from './deps.ts';
import { buildDiscovery } from './discovery.ts';
import { createGrants } from './grants.ts';
import { createJwtEndpointHandler } from './jwt-endpoint.ts';
import { createTokenHandler } from './token.ts';
import { createUserinfoHandler } from './userinfo.ts';

type Method = 'GET' | 'POST';
type Handler = (c: BridgeContext) => Response | Promise<Response>;

/** The JWT endpoint's paths: ours plus ZITADEL's, so existing WAF rules keep working (DESIGN §2). */
export const JWT_ENDPOINT_PATHS = ['/login/jwt', '/ui/login/login/jwt/authorize', '/idps/jwt'];

/** The whole route table of the bridge, in one place (DESIGN §2). */
export function registerRoutes(app: Hono<BridgeEnv>, runtime: BridgeRuntime): void {
  const { config, store, keys } = runtime;
  const tokens = config.tokens;
  const authRequests = createAuthRequests(store, tokens.authRequestTtlSeconds * 1000, runtime.clock);
  const codes = createCodes(store, { clock: runtime.clock, ttlMs: tokens.codeTtlSeconds * 1000, reuseWindowMs: Math.max(tokens.accessTokenTtlSeconds, tokens.idTokenTtlSeconds) * 1000 });
  const grants = createGrants(store, Math.max(tokens.accessTokenTtlSeconds, tokens.idTokenTtlSeconds) * 1000);
  const discovery = buildDiscovery(config, keys);
  const jwtEndpoint = createJwtEndpointHandler(runtime, authRequests);
  const publicApi = cors({ origin: '*', allowMethods: ['GET', 'POST'], allowHeaders: ['Authorization', 'Content-Type'], maxAge: 600 });

  const routes: [string, Method[], Handler, boolean?][] = [
    ['/.well-known/openid-configuration', ['GET'], (c) => c.json(discovery, 200, { 'Cache-Control': 'public, max-age=300' }), true],
    ['/jwks', ['GET'], (c) => c.json(keys.publicJwks, 200, { 'Cache-Control': 'public, max-age=300', 'Content-Type': 'application/jwk-set+json' }), true],
    ['/authorize', ['GET', 'POST'], createAuthorizeHandler(runtime, authRequests)],
    ...JWT_ENDPOINT_PATHS.map((path): [string, Method[], Handler] => [path, ['GET'], jwtEndpoint]),
    ['/login/jwt/callback', ['GET'], createCallbackHandler(runtime, authRequests, codes)],
    ['/token', ['POST'], createTokenHandler(runtime, codes, grants), true],
    ['/userinfo', ['GET', 'POST'], createUserinfoHandler(runtime, grants), true],
    ['/healthz', ['GET'], (c) => c.json({ status: 'ok' })],
    ['/readyz', ['GET'], async (c) => {
      try {
        await store.ping();
        return c.json({ status: 'ready', keys: keys.all.length });
      } catch {
        return c.json({ status: 'unavailable', reason: 'store' }, 503);
      }
    }],
  ];

  for (const [path, methods, handler, crossOrigin] of routes) {
    if (crossOrigin) app.use(path, publicApi);
    app.on(methods, path, handler);
    // Reached only by other methods (HEAD is served by GET; CORS preflights are answered by the middleware).
    app.all(path, (c) => c.json({ error: 'invalid_request', error_description: `use ${methods.join(' or ')}` }, 405, { Allow: methods.join(', '), 'Cache-Control': 'no-store' }));
  }
}
