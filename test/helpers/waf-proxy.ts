import { serve, type ServerType } from '@hono/node-server';
import { createWafApp } from '../../src/runtime/demo/waf.ts';

export interface WafProxy {
  url: string;
  /** Requests that reached the WAF, by path (query excluded). */
  hits: string[];
  close(): Promise<void>;
}

/**
 * The demo's WAF stand-in (src/runtime/demo/waf.ts) on loopback in front of a bridge: the JWT endpoint paths go to the
 * same paths on `upstream` with the legacy session cookie turned into the legacy header; other paths get 404.
 */
export async function startWafProxy(options: {
  port: number;
  upstream: string;
  headerName?: string;
  sessionCookie?: string;
  paths?: string[];
  /** Extra headers the WAF adds (e.g. the shared secret). */
  addHeaders?: Record<string, string>;
}): Promise<WafProxy> {
  const paths = options.paths ?? ['/login/jwt', '/ui/login/login/jwt/authorize', '/idps/jwt'];
  const upstream = options.upstream.replace(/\/$/, '');
  const waf = createWafApp({
    jwtEndpoints: Object.fromEntries(paths.map((path) => [path, `${upstream}${path}`])),
    headerName: options.headerName ?? 'x-custom-tkn',
    sessionCookie: options.sessionCookie ?? 'legacy_session',
    ...(options.addHeaders && { addHeaders: options.addHeaders }),
  });
  const hits: string[] = [];
  const server: ServerType = await new Promise((resolve) => {
    const s = serve(
      {
        fetch: (request) => {
          hits.push(new URL(request.url).pathname);
          return waf.fetch(request);
        },
        hostname: '127.0.0.1',
        port: options.port,
      },
      () => resolve(s),
    );
  });
  return {
    url: `http://127.0.0.1:${options.port}`,
    hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
