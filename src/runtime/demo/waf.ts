import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { proxy } from 'hono/proxy';

export interface WafOptions {
  /** JWT endpoint paths → the bridge URL each one forwards to (the query is appended unchanged). */
  jwtEndpoints: Record<string, string>;
  /** Where every other path goes (the legacy site); without it, other paths get 404. */
  fallbackUpstream?: string;
  /** The legacy header the session JWT is put in. */
  headerName: string;
  sessionCookie: string;
  /** Headers the WAF adds towards the bridge (e.g. the shared secret of `trustedProxy`). */
  addHeaders?: Record<string, string>;
}

/**
 * A WAF stand-in, shared by the demo (in front of the legacy site) and the end-to-end tests (test/helpers/waf-proxy.ts):
 * a JWT endpoint path goes to the bridge with the legacy session cookie turned into the legacy header — any
 * client-sent copy removed, the query unchanged, redirects passed through untouched (DESIGN §10, WAF requirements);
 * every other path goes to the legacy site, or nowhere.
 */
export function createWafApp(options: WafOptions): Hono {
  const headerName = options.headerName.toLowerCase();
  const app = new Hono();
  for (const [path, target] of Object.entries(options.jwtEndpoints)) {
    app.all(path, (c) => {
      const headers: Record<string, string | undefined> = {
        ...c.req.header(),
        host: undefined,
        [headerName]: getCookie(c, options.sessionCookie),
        ...options.addHeaders,
      };
      return proxy(`${target}${new URL(c.req.url).search}`, { raw: c.req.raw, headers, redirect: 'manual' });
    });
  }
  const fallback = options.fallbackUpstream;
  app.all('*', async (c) => {
    if (fallback === undefined) return new Response('not behind the WAF', { status: 404 });
    const url = new URL(c.req.url);
    return proxy(`${fallback}${url.pathname}${url.search}`, { raw: c.req.raw, headers: { ...c.req.header(), host: undefined }, redirect: 'manual' });
  });
  return app;
}
