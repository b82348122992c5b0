import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST the receiver got: its form body and when it arrived. */
export interface Delivery {
  path: string;
  contentType: string | undefined;
  logoutToken: string | undefined;
}

/**
 * A relying party's back-channel logout endpoint for tests: records every POST and answers from a script of
 * statuses (default 200). `hold()` makes the next requests wait until `release()`, to show that nothing on the
 * user's path waits for the RP.
 */
export async function startBackchannelReceiver() {
  const deliveries: Delivery[] = [];
  const statuses: number[] = [];
  let held: Array<() => void> | undefined;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      deliveries.push({ path: req.url ?? '', contentType: req.headers['content-type'], logoutToken: body.get('logout_token') ?? undefined });
      const answer = () => {
        res.writeHead(statuses.shift() ?? 200, { 'Cache-Control': 'no-store' });
        res.end();
      };
      if (held) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel-logout`;

  return {
    url,
    deliveries,
    /** The next answers, in order; afterwards 200 again. */
    answer(...next: number[]) {
      statuses.push(...next);
    },
    hold() {
      held ??= [];
    },
    release() {
      const waiting = held ?? [];
      held = undefined;
      for (const answer of waiting) answer();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type BackchannelReceiver = Awaited<ReturnType<typeof startBackchannelReceiver>>;
