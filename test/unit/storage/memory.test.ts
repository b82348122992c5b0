import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/clock.ts';
import { createMemoryStore } from '../../../src/storage/memory.ts';

describe('memory store', () => {
  it('keeps a key for exactly ttlMs of clock time', async () => {
    const clock = createManualClock(0);
    const store = createMemoryStore({ clock });
    await store.set('k', 'v', { ttlMs: 1_000 });
    clock.advance(999);
    expect(await store.get('k')).toBe('v');
    expect(await store.pttl('k')).toBe(1);
    clock.advance(1);
    expect(await store.get('k')).toBeNull();
    expect(await store.pttl('k')).toBe(-2);
  });

  it('a compareAndSwap without ttl keeps the original deadline', async () => {
    const clock = createManualClock(0);
    const store = createMemoryStore({ clock });
    await store.set('k', 'a', { ttlMs: 1_000 });
    clock.advance(600);
    expect(await store.compareAndSwap('k', 'a', 'b')).toBe(true);
    clock.advance(400);
    expect(await store.get('k')).toBeNull();
  });

  it('rounds fractional TTLs up to whole milliseconds, like Redis PX', async () => {
    const clock = createManualClock(0);
    const store = createMemoryStore({ clock });
    await store.set('k', 'v', { ttlMs: 0.2 });
    expect(await store.pttl('k')).toBe(1);
  });

  it('sweeps expired entries on writes, without timers', async () => {
    const clock = createManualClock(0);
    const store = createMemoryStore({ clock });
    for (let i = 0; i < 500; i++) await store.set(`old:${i}`, 'v', { ttlMs: 10 });
    clock.advance(10);
    expect(store.size()).toBe(500); // lazy: nothing touched them yet
    for (let i = 0; i < 1_000; i++) await store.set(`new:${i}`, 'v');
    expect(store.size()).toBe(1_000);
    expect(await store.list('old:')).toEqual([]);
  });

  it('adds and strips its key prefix', async () => {
    const store = createMemoryStore({ clock: createManualClock(0), keyPrefix: 'jib:' });
    await store.set('user:1', 'v');
    expect(await store.list('')).toEqual(['user:1']);
    expect(await store.list('jib:')).toEqual([]);
  });
});
