/**
 * A test-only stand-in for Upstash's REST API on loopback, forwarding to a real Redis with ioredis. It implements the
 * small subset the Upstash adapter uses — and nothing else, so a change in what the client sends shows up as a failure:
 * - `POST /` with a JSON array `["SET", "k", "v", "PX", 1000]` → `{ "result": … }`, or HTTP 400 `{ "error": "…" }`;
 * - `POST /pipeline` with an array of such arrays → an array of `{ result }` / `{ error }`;
 * - `Authorization: Bearer <token>` required; `Upstash-Encoding: base64` → every string in the result base64-encoded.
 * Any command is forwarded verbatim (EVALSHA, EVAL, SCRIPT LOAD included), so Redis itself answers.
 *
 * This proves the client side (what the adapter sends and how it reads answers), not Upstash's server.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

// Loaded with Node's own resolution: this helper also runs as the global setup of the workerd project, whose module
// transform does not give CommonJS packages their named exports.
const { Redis } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');

export interface UpstashStandIn {
  url: string;
  token: string;
  /** Command names received (upper case), in order; a pipeline adds each of its commands. */
  readonly commands: string[];
  /** Stops answering (connections are dropped) until called again with true. */
  setAvailable(available: boolean): void;
  /** Requests dropped while unavailable: how many attempts a client made. */
  readonly refused: number;
  close(): Promise<void>;
}

type Reply = Buffer | string | number | null | Reply[];

export async function startUpstashStandIn(options: { redisUrl: string; token?: string }): Promise<UpstashStandIn> {
  const token = options.token ?? `token-${crypto.randomUUID()}`;
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  const commands: string[] = [];
  let available = true;
  let refused = 0;

  async function execute(command: unknown, base64: boolean): Promise<{ result: unknown } | { error: string }> {
    if (!Array.isArray(command) || command.length === 0 || !command.every((part) => typeof part === 'string' || typeof part === 'number')) {
      return { error: 'ERR a command is a non-empty JSON array of strings and numbers' };
    }
    const [name, ...args] = command.map(String) as [string, ...string[]];
    commands.push(name.toUpperCase());
    try {
      const reply = (await redis.callBuffer(name, ...args)) as Reply;
      return { result: encode(reply, base64) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!available) {
      refused++;
      return void req.socket.destroy();
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { error: 'Unauthorized' });
      if (req.method !== 'POST') return send(res, 405, { error: 'POST only' });
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(res, 400, { error: 'ERR the body is not JSON' });
      }
      const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/') {
        const outcome = await execute(body, base64);
        return send(res, 'error' in outcome ? 400 : 200, outcome);
      }
      if (path === '/pipeline') {
        if (!Array.isArray(body)) return send(res, 400, { error: 'ERR a pipeline is an array of commands' });
        const outcomes = [];
        for (const command of body) outcomes.push(await execute(command, base64));
        return send(res, 200, outcomes);
      }
      return send(res, 404, { error: `ERR ${path} is not implemented by the stand-in` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token,
    commands,
    setAvailable(next) {
      available = next;
    },
    get refused() {
      return refused;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      redis.disconnect();
    },
  };
}

/** RESP reply → JSON: bulk and status strings as UTF-8 (or base64 when asked), integers as numbers, arrays recursively. */
function encode(reply: Reply, base64: boolean): unknown {
  if (reply === null || typeof reply === 'number') return reply;
  if (Array.isArray(reply)) return reply.map((item) => encode(item, base64));
  const bytes = typeof reply === 'string' ? Buffer.from(reply) : reply;
  return base64 ? bytes.toString('base64') : bytes.toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
