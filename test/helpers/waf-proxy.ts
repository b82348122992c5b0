import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';

export interface WafProxy {
  url: string;
  /** Requests that reached the WAF, by path (query excluded). */
  hits: string[];
  close(): Promise<void>;
}

/**
 * A small WAF stand-in on loopback: for the JWT endpoint paths it turns the legacy session cookie into the
 * legacy header, strips any client-sent copy of that header, passes the path and query through unchanged and
 * never rewrites the response (DESIGN §10, WAF requirements). Other paths get 404.
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
  const headerName = (options.headerName ?? 'x-custom-tkn').toLowerCase();
  const sessionCookie = options.sessionCookie ?? 'legacy_session';
  const paths = options.paths ?? ['/login/jwt', '/ui/login/login/jwt/authorize', '/idps/jwt'];
  const upstream = new URL(options.upstream);
  const hits: string[] = [];

  const server: Server = createServer((req: IncomingMessage, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.push(path);
    if (!paths.includes(path)) {
      res.writeHead(404).end('not behind the WAF');
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || name === headerName || name === 'host' || name === 'connection') continue;
      headers[name] = value;
    }
    const session = readCookie(req.headers.cookie, sessionCookie);
    if (session) headers[headerName] = session;
    Object.assign(headers, options.addHeaders ?? {});
    const forward = httpRequest({ hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    });
    forward.on('error', () => res.writeHead(502).end('bad gateway'));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${options.port}`,
    hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}
