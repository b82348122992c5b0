import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/clock.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { createStore } from '../../../src/storage/index.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const deps = { clock: createManualClock(0), logger: silentLogger };

describe('createStore', () => {
  it('builds the memory adapter', async () => {
    const store = createStore({ type: 'memory', keyPrefix: 'jib:' }, deps);
    await store.set('k', 'v');
    expect(await store.get('k')).toBe('v');
    await store.close();
  });

  it('builds the redis adapter from the url', async () => {
    const keyPrefix = `test:${crypto.randomUUID()}:`;
    const store = createStore({ type: 'redis', url, keyPrefix }, deps);
    await store.ping();
    expect(await store.setIfAbsent('k', 'v')).toBe(true);
    expect(await store.getAndDelete('k')).toBe('v');
    await store.close();
  });

  it('refuses redis without a url', () => {
    expect(() => createStore({ type: 'redis', keyPrefix: 'jib:' }, deps)).toThrow(/store\.url/);
  });
});
