import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { proxy } from 'hono/proxy';

/**
 * The demo's WAF: it fronts the legacy site. The JWT endpoint path goes to the bridge with the legacy session
 * turned into the legacy header (any client-sent copy removed, query unchanged, redirects passed through
 * untouched); every other path goes to the legacy application.
 */
export function createWafApp(options: { jwtEndpointPath: string; bridgeJwtEndpoint: string; legacyUpstream: string; headerName: string; sessionCookie: string }) {
  const app = new Hono();
  app.all(options.jwtEndpointPath, (c) => {
    const headers: Record<string, string | undefined> = { ...c.req.header(), host: undefined, [options.headerName]: getCookie(c, options.sessionCookie) };
    return proxy(`${options.bridgeJwtEndpoint}${new URL(c.req.url).search}`, { raw: c.req.raw, headers, redirect: 'manual' });
  });
  app.all('*', (c) => {
    const url = new URL(c.req.url);
    return proxy(`${options.legacyUpstream}${url.pathname}${url.search}`, { raw: c.req.raw, headers: { ...c.req.header(), host: undefined }, redirect: 'manual' });
  });
  return app;
}
