import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError, type Store } from '../../src/storage/port.ts';

/** What the contract needs from an adapter beyond the port, supplied by each adapter's test file. */
export interface StoreHarness {
  store: Store;
  /** A second instance over the same data through its own connection, when the adapter has such a thing. */
  peer?: Store;
  /** Remaining TTL of a key (without the prefix) with Redis PTTL semantics: -2 absent, -1 durable. */
  pttl(key: string): Promise<number>;
  /** Lets a key written with `ttlMs` expire: the memory harness moves its clock; Redis polls a short real TTL. */
  expire(key: string, ttlMs: number): Promise<void>;
  cleanup(): Promise<void>;
}

/** TTL long enough for Redis not to expire it during a test, short enough to be told apart from "durable". */
const TTL = 60_000;

export function describeStoreContract(name: string, factory: () => Promise<StoreHarness>): void {
  describe(`store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    beforeEach(async () => {
      h = await factory();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    const expectTtlNear = async (key: string, ttlMs: number) => {
      const ttl = await h.pttl(key);
      expect(ttl).toBeGreaterThan(ttlMs - 5_000);
      expect(ttl).toBeLessThanOrEqual(ttlMs);
    };

    it('get/set round-trips opaque strings, and get of a missing key is null', async () => {
      expect(await store.get('missing')).toBeNull();
      for (const value of ['', 'plain', '{"json":true}', 'ünïcødé ✓ \u0000 end']) {
        await store.set('k', value);
        expect(await store.get('k')).toBe(value);
      }
    });

    it('set with a TTL expires it; set without one makes the key durable again', async () => {
      await store.set('k', 'a', { ttlMs: TTL });
      await expectTtlNear('k', TTL);
      await store.set('k', 'b');
      expect(await h.pttl('k')).toBe(-1);
      expect(await h.pttl('missing')).toBe(-2);
    });

    it('setIfAbsent writes only once and honours its TTL', async () => {
      expect(await store.setIfAbsent('k', 'first', { ttlMs: TTL })).toBe(true);
      expect(await store.setIfAbsent('k', 'second')).toBe(false);
      expect(await store.get('k')).toBe('first');
      await expectTtlNear('k', TTL);
      expect(await store.setIfAbsent('durable', 'x')).toBe(true);
      expect(await h.pttl('durable')).toBe(-1);
    });

    it('getAndDelete returns the value exactly once', async () => {
      await store.set('k', 'v');
      expect(await store.getAndDelete('k')).toBe('v');
      expect(await store.getAndDelete('k')).toBeNull();
      expect(await store.get('k')).toBeNull();
    });

    it('compareAndSwap replaces only on an exact match', async () => {
      await store.set('k', 'old');
      expect(await store.compareAndSwap('k', 'other', 'new')).toBe(false);
      expect(await store.compareAndSwap('k', 'ol', 'new')).toBe(false);
      expect(await store.get('k')).toBe('old');
      expect(await store.compareAndSwap('k', 'old', 'new')).toBe(true);
      expect(await store.get('k')).toBe('new');
    });

    it('compareAndSwap on a missing key is false and creates nothing', async () => {
      expect(await store.compareAndSwap('missing', '', 'x')).toBe(false);
      expect(await store.compareAndSwap('missing', 'x', 'y')).toBe(false);
      expect(await store.get('missing')).toBeNull();
    });

    it('compareAndSwap to null deletes the key', async () => {
      await store.set('k', 'v');
      expect(await store.compareAndSwap('k', 'v', null)).toBe(true);
      expect(await store.get('k')).toBeNull();
      expect(await h.pttl('k')).toBe(-2);
    });

    it('compareAndSwap without a TTL keeps the remaining TTL (and keeps durable keys durable)', async () => {
      await store.set('k', 'v1', { ttlMs: TTL });
      expect(await store.compareAndSwap('k', 'v1', 'v2')).toBe(true);
      await expectTtlNear('k', TTL);
      await store.set('d', 'v1');
      expect(await store.compareAndSwap('d', 'v1', 'v2')).toBe(true);
      expect(await h.pttl('d')).toBe(-1);
    });

    it('compareAndSwap with a TTL sets the new TTL', async () => {
      await store.set('k', 'v1');
      expect(await store.compareAndSwap('k', 'v1', 'v2', { ttlMs: TTL / 2 })).toBe(true);
      await expectTtlNear('k', TTL / 2);
      expect(await store.compareAndSwap('k', 'v2', 'v3', { ttlMs: TTL })).toBe(true);
      await expectTtlNear('k', TTL);
    });

    it('expired keys are absent to every method; setIfAbsent on an expired key succeeds', async () => {
      await store.set('a', 'v', { ttlMs: 50 });
      await store.set('b', 'v', { ttlMs: 50 });
      await store.set('c', 'v', { ttlMs: 50 });
      await store.set('d', 'v', { ttlMs: 50 });
      await h.expire('d', 50); // 'd' was written last, so it expires last
      expect(await store.get('a')).toBeNull();
      expect(await store.setIfAbsent('a', 'fresh')).toBe(true);
      expect(await store.get('a')).toBe('fresh');
      expect(await store.getAndDelete('b')).toBeNull();
      expect(await store.compareAndSwap('c', 'v', 'w')).toBe(false);
      expect(await store.delete('d')).toBe(false);
      expect(await store.list('')).toEqual(['a']);
    });

    it('delete reports whether something was deleted', async () => {
      await store.set('k', 'v');
      expect(await store.delete('k')).toBe(true);
      expect(await store.delete('k')).toBe(false);
    });

    it('list returns keys by literal prefix, without the store prefix', async () => {
      for (const key of ['user:1', 'user:2', 'users', 'link:1', 'odd*[x]?\\1', 'oddAB\\1']) await store.set(key, 'v');
      expect(await store.list('user:')).toEqual(['user:1', 'user:2']);
      expect(await store.list('odd*[x]?\\')).toEqual(['odd*[x]?\\1']); // glob characters match literally
      expect(await store.list('nothing')).toEqual([]);
      expect(await store.list('')).toHaveLength(6);
    });

    it('rejects non-positive TTLs as caller errors', async () => {
      for (const ttlMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(store.set('k', 'v', { ttlMs })).rejects.toBeInstanceOf(RangeError);
        await expect(store.setIfAbsent('k', 'v', { ttlMs })).rejects.toBeInstanceOf(RangeError);
        await expect(store.compareAndSwap('k', 'v', 'w', { ttlMs })).rejects.toBeInstanceOf(RangeError);
      }
      expect(await store.get('k')).toBeNull();
    });

    it('ping resolves; after close every call rejects with StoreUnavailableError', async () => {
      await store.ping();
      await store.close();
      await expect(store.get('k')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      await store.close(); // idempotent
    });

    // Concurrency: run once against one instance, and again spread over two instances when the adapter has them.
    for (const spread of ['one instance', 'two instances'] as const) {
      describe(`concurrency (${spread})`, () => {
        beforeEach((ctx) => {
          if (spread === 'two instances' && h.peer === undefined) ctx.skip();
        });
        const pick = (i: number): Store => (spread === 'two instances' && i % 2 === 1 ? (h.peer as Store) : store);

        it('20 parallel getAndDelete: exactly one gets the value', async () => {
          await store.set('k', 'v');
          const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pick(i).getAndDelete('k')));
          expect(results.filter((r) => r !== null)).toEqual(['v']);
        });

        it('20 parallel compareAndSwap from the same expected value: exactly one wins', async () => {
          await store.set('k', 'start', { ttlMs: TTL });
          const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pick(i).compareAndSwap('k', 'start', `next-${i}`)));
          expect(results.filter(Boolean)).toHaveLength(1);
          expect(await store.get('k')).toBe(`next-${results.indexOf(true)}`);
          await expectTtlNear('k', TTL);
        });

        it('30 parallel setIfAbsent: exactly one writes', async () => {
          const results = await Promise.all(Array.from({ length: 30 }, (_, i) => pick(i).setIfAbsent('k', `value-${i}`)));
          expect(results.filter(Boolean)).toHaveLength(1);
          expect(await store.get('k')).toBe(`value-${results.indexOf(true)}`);
        });
      });
    }
  });
}
