import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/observability/logger.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { StoreUnavailableError } from '../../src/storage/port.ts';
import { createRedisStore } from '../../src/storage/redis.ts';
import { createUpstashStore } from '../../src/storage/upstash.ts';
import { startUpstashStandIn, type UpstashStandIn } from '../helpers/upstash-rest.ts';
import { redisTtlHarness } from './redis-ttl.ts';
import { describeStoreContract } from './store-contract.ts';

/**
 * The Upstash adapter against a loopback stand-in of Upstash's REST API that forwards to the real local Redis
 * (test/helpers/upstash-rest.ts). This proves the client side — what the adapter sends and how it reads the answers —
 * not Upstash's own server.
 */
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let standIn: UpstashStandIn;
beforeAll(async () => {
  standIn = await startUpstashStandIn({ redisUrl: url });
});
afterAll(async () => {
  await standIn?.close();
});

const newPrefix = () => `test:${randomBytes(6).toString('hex')}:`;
const open = (keyPrefix: string, logger: Logger = silentLogger) => createUpstashStore({ url: standIn.url, token: standIn.token, keyPrefix, logger });

async function deleteKeys(admin: Redis, keyPrefix: string): Promise<void> {
  const escaped = keyPrefix.replace(/[\\*?[\]]/g, '\\$&');
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${escaped}*`, 'COUNT', 500);
    if (keys.length) await admin.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

describeStoreContract('upstash', async () => {
  // Glob characters in the prefix check that SCAN MATCH escapes it, as for the Node adapter.
  const keyPrefix = `${newPrefix()}*[?]:`;
  const store = open(keyPrefix);
  const peer = open(keyPrefix); // its own client
  const admin = new Redis(url);
  return {
    store,
    peer,
    ...redisTtlHarness(admin, keyPrefix),
    async cleanup() {
      await Promise.all([store.close(), peer.close()]);
      await deleteKeys(admin, keyPrefix);
      await admin.quit();
    },
  };
});

describe('upstash store', () => {
  it('shares one Redis with the Node adapter: same keys, same values, same compare-and-swap', async () => {
    const keyPrefix = newPrefix();
    const node = createRedisStore({ url, keyPrefix, logger: silentLogger });
    const edge = open(keyPrefix);
    try {
      await node.set('code:abc', '{"used":false}', { ttlMs: 60_000 });
      expect(await edge.get('code:abc')).toBe('{"used":false}');
      // A redemption on the edge is seen by Node, and the Node loser of the same race loses.
      expect(await edge.compareAndSwap('code:abc', '{"used":false}', '{"used":true}')).toBe(true);
      expect(await node.compareAndSwap('code:abc', '{"used":false}', '{"used":true}')).toBe(false);
      expect(await node.get('code:abc')).toBe('{"used":true}');
      // First-login registration: whichever runtime writes the link first wins.
      expect(await node.setIfAbsent('link:legacy:alice', 'u1')).toBe(true);
      expect(await edge.setIfAbsent('link:legacy:alice', 'u2')).toBe(false);
      expect(await edge.getAndDelete('link:legacy:alice')).toBe('u1');
      expect(await node.get('link:legacy:alice')).toBeNull();
      expect(await edge.list('')).toEqual(await node.list(''));
    } finally {
      for (const key of await node.list('')) await node.delete(key);
      await Promise.all([node.close(), edge.close()]);
    }
  });

  it('returns stored strings exactly, never JSON-parsed (automaticDeserialization: false)', async () => {
    const store = open(newPrefix());
    try {
      for (const value of ['123', 'true', 'null', '"quoted"', '{"a":1}', '[1,2]', '1e3']) {
        await store.set('k', value);
        expect(await store.get('k')).toBe(value);
        expect(await store.getAndDelete('k')).toBe(value);
      }
      await store.set('k', '42');
      expect(await store.compareAndSwap('k', '42', '43')).toBe(true);
      expect(await store.get('k')).toBe('43');
    } finally {
      await store.delete('k');
      await store.close();
    }
  });

  it('runs compare-and-swap by EVALSHA, sending the script text only when Redis does not know it', async () => {
    const admin = new Redis(url);
    const store = open(newPrefix());
    try {
      await admin.script('FLUSH');
      await store.set('k', 'a');
      const before = standIn.commands.length;
      expect(await store.compareAndSwap('k', 'a', 'b')).toBe(true);
      expect(await store.compareAndSwap('k', 'b', 'c')).toBe(true);
      expect(standIn.commands.slice(before)).toEqual(['EVALSHA', 'EVAL', 'EVALSHA']);
    } finally {
      await store.delete('k');
      await store.close();
      await admin.quit();
    }
  });

  it('reports an unreachable endpoint and error replies as StoreUnavailableError, without values or the token', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = (fields: Record<string, unknown>) => void lines.push(fields);
    const logger: Logger = { debug: log, info: log, warn: log, error: log, child: () => logger };
    const keyPrefix = newPrefix();
    const store = open(keyPrefix, logger);
    const admin = new Redis(url);
    try {
      await admin.rpush(`${keyPrefix}list`, 'secret-value');
      const wrongType: unknown = await store.compareAndSwap('list', 'secret-value', 'other-secret').catch((e: unknown) => e);
      expect(wrongType).toBeInstanceOf(StoreUnavailableError);
      expect((wrongType as Error).message).toMatch(/WRONGTYPE/);
      expect((wrongType as Error).message).not.toMatch(/secret/);

      standIn.setAvailable(false);
      // Fast by count, not by clock: one attempt per call (no retry loop; a lost answer may already have run).
      const refusedBefore = standIn.refused;
      await expect(store.get('k')).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(standIn.refused - refusedBefore).toBe(1);
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(standIn.refused - refusedBefore).toBe(2);
      standIn.setAvailable(true);
      await store.ping();
      expect(lines.map((l) => [l.event, l.store])).toEqual([
        ['store.unavailable', 'upstash'],
        ['store.ready', 'upstash'],
      ]);
      expect(JSON.stringify(lines)).not.toContain(standIn.token);
      expect(JSON.stringify(lines)).not.toContain('secret');
    } finally {
      standIn.setAvailable(true);
      await admin.del(`${keyPrefix}list`);
      await admin.quit();
      await store.close();
    }
  });

  it('refuses a wrong token', async () => {
    const store = createUpstashStore({ url: standIn.url, token: 'wrong-token', keyPrefix: newPrefix(), logger: silentLogger });
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
