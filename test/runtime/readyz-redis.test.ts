import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { startNodeServer, type RunningServer } from '../../src/runtime/node.ts';
import { pollUntil } from '../helpers/poll-until.ts';
import { freePort } from '../helpers/ports.ts';
import { metricValue, scrape } from '../helpers/prometheus-text.ts';
import { startRedisServer, type TestRedis } from '../helpers/redis-server.ts';

/**
 * A Redis of its own (started here on a free port) goes away and comes back: /readyz follows it, and the store
 * metrics show the errors. (test/runtime/store-outage.test.ts covers a Redis that is never there.)
 */
describe('/readyz follows a Redis that stops and returns', () => {
  let redis: TestRedis;
  let bridge: RunningServer;
  beforeAll(async () => {
    redis = await startRedisServer();
    const port = await freePort();
    const config = validateConfig({
      issuer: `http://127.0.0.1:${port}`,
      server: { host: '127.0.0.1', port },
      store: { type: 'redis', url: redis.url, keyPrefix: `readyz:${crypto.randomUUID()}:` },
      identityProviders: [
        {
          id: 'legacy',
          issuer: 'https://legacy.example',
          keysEndpoint: 'https://legacy.example/keys',
          jwtEndpoint: 'https://apps.example.com/jwt',
          allowAnyAudience: true,
          trustedProxy: 'none',
        },
      ],
      clients: [{ clientId: 'app', redirectUris: ['https://app.example.com/cb'], identityProviders: ['legacy'] }],
    });
    bridge = await startNodeServer({ config, logger: silentLogger });
  });
  afterAll(async () => {
    await bridge?.close();
    await redis?.close();
  });

  const readyStatus = async () => (await fetch(`${bridge.url}/readyz`)).status;

  it('is ready, then 503 while Redis is down, then ready again', async () => {
    expect(await readyStatus()).toBe(200);
    const before = await scrape(`${bridge.url}/metrics`);

    await redis.stop();
    await pollUntil(async () => (await readyStatus()) === 503, { what: '/readyz to report the store down', timeoutMs: 10_000, intervalMs: 50 });
    const body = await (await fetch(`${bridge.url}/readyz`)).json();
    expect(body).toEqual({ status: 'unavailable', reason: 'store' });
    const during = await scrape(`${bridge.url}/metrics`);
    const errors = (s: typeof during) => metricValue(s, 'bridge_store_operations_total', { operation: 'ping', outcome: 'error' });
    expect(errors(during) - errors(before)).toBeGreaterThan(0);
    expect(metricValue(during, 'bridge_http_requests_total', { route: 'readyz', status: '503' })).toBeGreaterThan(0);

    await redis.start();
    await pollUntil(async () => (await readyStatus()) === 200, { what: '/readyz to recover', timeoutMs: 10_000, intervalMs: 50 });
  });
});
