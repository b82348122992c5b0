import { createServer } from 'node:net';
import { freePort } from './ports.ts';

/** Resolves when `port` can be bound on `host` (then releases it), rejects otherwise. */
function probe(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/**
 * A base port such that `base`, `base + 1`, … `base + count - 1` are all free on loopback (both `127.0.0.1` and
 * whatever `localhost` resolves to), for stacks that derive their ports from one base (the demo: WAF, legacy app,
 * bridge, new app). Like {@link freePort}, the ports are released before use, so a race with another process is
 * possible but unlikely.
 */
export async function freeBase(count = 4): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await freePort();
    if (base + count - 1 > 65535) continue;
    try {
      for (let port = base; port < base + count; port++) {
        await probe(port, '127.0.0.1');
        await probe(port, 'localhost');
      }
      return base;
    } catch {
      // one of the ports is taken: try another base
    }
  }
  throw new Error(`no range of ${count} free consecutive loopback ports`);
}
