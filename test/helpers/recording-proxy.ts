/**
 * A transparent HTTP recorder on loopback: logs each request exactly as it arrived (raw request target, header lines
 * with their repetitions) and forwards it unchanged to `upstream`, passing the response back unchanged. Put it
 * between a real proxy under test (nginx) and the bridge to see what the proxy really sent. Given several upstreams it
 * is also a round-robin load balancer (each request to the next one), recording which upstream served each request.
 */
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** The raw request target, e.g. "/login/jwt?authRequestID=…" — nothing decoded or normalised. */
  target: string;
  /** Every value of a header, by lower-case name, in arrival order ([] when absent). */
  header(name: string): string[];
  remoteAddress: string | undefined;
  /** The index of the upstream the request was forwarded to (recording proxy only). */
  upstream?: number;
}

export interface RecordingProxy {
  url: string;
  /** host:port, as nginx's `upstream { server … }` wants it. */
  hostPort: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** A request exactly as it arrived (for other loopback fakes that record what reached them). */
export function recordRequest(req: IncomingMessage): RecordedRequest {
  const raw = req.rawHeaders;
  return {
    method: req.method ?? '',
    target: req.url ?? '',
    header(name) {
      const values: string[] = [];
      for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name.toLowerCase()) values.push(raw[i + 1]!);
      return values;
    },
    remoteAddress: req.socket.remoteAddress,
  };
}

export async function startRecordingProxy(upstream: string | string[], options: { port?: number } = {}): Promise<RecordingProxy> {
  const targets = (Array.isArray(upstream) ? upstream : [upstream]).map((url) => new URL(url));
  const requests: RecordedRequest[] = [];
  let turn = 0;
  const server = createServer((req, res) => {
    const index = turn++ % targets.length;
    const target = targets[index]!;
    requests.push({ ...recordRequest(req), upstream: index });
    const headers: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!;
      if (!HOP_BY_HOP.has(name.toLowerCase())) headers.push([name, req.rawHeaders[i + 1]!]);
    }
    const forward = httpRequest(
      { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: headers.flat() as unknown as Record<string, string> },
      (upstreamRes) => {
        const out: string[] = [];
        for (let i = 0; i < upstreamRes.rawHeaders.length; i += 2) {
          const name = upstreamRes.rawHeaders[i]!;
          if (!HOP_BY_HOP.has(name.toLowerCase())) out.push(name, upstreamRes.rawHeaders[i + 1]!);
        }
        res.writeHead(upstreamRes.statusCode ?? 502, out);
        upstreamRes.pipe(res);
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end('recording proxy: upstream unreachable');
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
