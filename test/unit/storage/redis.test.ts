import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../../src/observability/logger.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { StoreUnavailableError, type Store } from '../../../src/storage/port.ts';
import { createRedisClient, createRedisStore, escapeGlob, redactSecrets } from '../../../src/storage/redis.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = () => `test:${randomBytes(6).toString('hex')}:`;

function recordingLogger(lines: Record<string, unknown>[]): Logger {
  const log = (fields: Record<string, unknown>, message?: string) => void lines.push({ ...fields, message });
  const logger: Logger = { debug: log, info: log, warn: log, error: log, child: () => logger };
  return logger;
}

describe('redis store', () => {
  const opened: Store[] = [];
  const open = (keyPrefix: string, extra: { url?: string; client?: Redis; logger?: Logger } = {}) => {
    const store = createRedisStore({
      url: extra.client ? undefined : (extra.url ?? url),
      client: extra.client,
      keyPrefix,
      logger: extra.logger ?? silentLogger,
    });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of opened.splice(0)) {
      try {
        for (const key of await store.list('')) await store.delete(key);
      } catch {
        // closed by the test, or pointing at a dead port
      }
      await store.close();
    }
  });

  it('fails fast with StoreUnavailableError when Redis is unreachable, without leaking the password', async () => {
    const lines: Record<string, unknown>[] = [];
    const store = open('test:', { url: 'redis://user:s3cr3t-pw@127.0.0.1:1', logger: recordingLogger(lines) });
    // Fast, by what failed rather than by a clock: the first command gives up after one retry of the connection
    // (maxRetriesPerRequest), not after the command timeout; once it is known unreachable, the next ones fail at once.
    const messages: string[] = [];
    const causes: (string | undefined)[] = [];
    for (const call of [() => store.get('k'), () => store.compareAndSwap('k', 'a', 'b'), () => store.ping()]) {
      const error: unknown = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(String((error as Error).message)).not.toContain('s3cr3t');
      expect(JSON.stringify({ cause: String((error as Error).cause) })).not.toContain('s3cr3t');
      messages.push((error as Error).message);
      causes.push(((error as Error).cause as Error | undefined)?.name);
    }
    expect(messages).toEqual([
      expect.stringMatching(/^redis get failed: Reached the max retries per request limit \(which is 1\)/),
      'redis compareAndSwap failed: unreachable',
      'redis ping failed: unreachable',
    ]);
    // ioredis's retry limit, not its command timeout ("Command timed out"); the later calls never reach the client.
    expect(causes).toEqual(['MaxRetriesPerRequestError', undefined, undefined]);
    expect(lines.filter((l) => l.event === 'store.unavailable').map((l) => l.store)).toEqual(['redis']);
    expect(JSON.stringify(lines)).not.toContain('s3cr3t');
  });

  it('recovers when Redis comes back after an outage', async () => {
    // A TCP relay stands in for Redis going away, so the shared Redis is never stopped.
    const target = new URL(url);
    const sockets = new Set<Socket>();
    const relay = createServer((inbound) => {
      const outbound = connect(Number(target.port || 6379), target.hostname);
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.on('error', () => s.destroy());
        s.on('close', () => sockets.delete(s));
      }
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('close', () => outbound.destroy());
      outbound.on('close', () => inbound.destroy());
    });
    relay.listen(0, '127.0.0.1');
    await once(relay, 'listening');
    const { port } = relay.address() as AddressInfo;
    const client = createRedisClient(`redis://127.0.0.1:${port}`);
    const store = createRedisStore({ client, keyPrefix: prefix(), logger: silentLogger });
    try {
      await store.ping();
      relay.close();
      for (const s of sockets) s.destroy();
      await once(client, 'error'); // the reconnect attempt is refused
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      relay.listen(port, '127.0.0.1');
      await once(client, 'ready');
      await store.ping();
    } finally {
      await store.close();
      client.disconnect();
      relay.close();
      for (const s of sockets) s.destroy();
    }
  });

  it('lists every key across many SCAN pages', async () => {
    const store = open(prefix());
    const keys = Array.from({ length: 1_200 }, (_, i) => `k:${String(i).padStart(4, '0')}`);
    await Promise.all(keys.map((key) => store.set(key, 'v')));
    expect(await store.list('k:')).toEqual(keys);
  });

  it('does not list keys of a sibling prefix that a glob would match', async () => {
    const base = prefix();
    const a = open(`${base}a?:`);
    const b = open(`${base}ab:`);
    await a.set('one', '1');
    await b.set('two', '2');
    expect(await a.list('')).toEqual(['one']);
    expect(await b.list('')).toEqual(['two']);
  });

  it('reports a Redis error reply (wrong type) as StoreUnavailableError', async () => {
    const keyPrefix = prefix();
    const store = open(keyPrefix);
    const admin = new Redis(url);
    await admin.rpush(`${keyPrefix}list`, 'x');
    await expect(store.get('list')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.compareAndSwap('list', 'x', 'y')).rejects.toBeInstanceOf(StoreUnavailableError);
    await admin.del(`${keyPrefix}list`);
    await admin.quit();
  });

  it('leaves an injected client open on close', async () => {
    const client = createRedisClient(url);
    const store = createRedisStore({ client, keyPrefix: prefix(), logger: silentLogger });
    await store.ping();
    await store.close();
    await expect(store.get('k')).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });

  it('createRedisClient rejects other schemes without echoing the URL', () => {
    expect(() => createRedisClient('http://user:pw@example.com')).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => createRedisClient('http://user:pw@example.com')).not.toThrow(/pw/);
    expect(() => createRedisClient('redis://127.0.0.1:6379/x')).toThrow(/database/);
  });

  it('escapes glob characters and redacts credentials', () => {
    expect(escapeGlob('a*b?[c]\\d')).toBe('a\\*b\\?\\[c\\]\\\\d');
    expect(redactSecrets('to redis://u:p%40ss@h:1 failed', [])).toBe('to redis://***@h:1 failed');
    expect(redactSecrets('WRONGPASS hunter2', ['hunter2'])).toBe('WRONGPASS ***');
  });
});
