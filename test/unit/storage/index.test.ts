import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/clock.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { createStore } from '../../../src/storage/index.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const deps = { clock: createManualClock(0), logger: silentLogger };

describe('createStore', () => {
  it('builds the memory adapter', async () => {
    const store = await createStore({ type: 'memory', keyPrefix: 'jib:' }, deps);
    await store.set('k', 'v');
    expect(await store.get('k')).toBe('v');
    await store.close();
  });

  it('builds the redis adapter from the url', async () => {
    const keyPrefix = `test:${crypto.randomUUID()}:`;
    const store = await createStore({ type: 'redis', url, keyPrefix }, deps);
    await store.ping();
    expect(await store.setIfAbsent('k', 'v')).toBe(true);
    expect(await store.getAndDelete('k')).toBe('v');
    await store.close();
  });

  it('refuses redis without a url', async () => {
    await expect(createStore({ type: 'redis', keyPrefix: 'jib:' }, deps)).rejects.toThrow(/store\.url/);
  });

  it('loads the Redis and Upstash clients only when they are configured (ioredis alone is ~20 MB resident)', () => {
    // A fresh process: which client packages are in Node's module cache after building a store of each type.
    const loaded = (type: string) => {
      const script = `
        import { createRequire } from 'node:module';
        const { createStore } = await import(${JSON.stringify(join(import.meta.dirname, '../../../src/storage/index.ts'))});
        const config = ${JSON.stringify({ type, keyPrefix: 'jib:', url: 'redis://127.0.0.1:9', token: 't' })};
        if (config.type === 'upstash') config.url = 'https://x.upstash.io';
        const store = await createStore(config, { clock: { now: () => 0 }, logger: { child() { return this; }, info() {}, warn() {}, error() {}, debug() {} } });
        await store.close().catch(() => {});
        const cached = Object.keys(createRequire(import.meta.url).cache);
        console.log(JSON.stringify(['ioredis', '@upstash/redis'].filter((name) => cached.some((path) => path.includes(\`/node_modules/\${name}/\`)))));`;
      return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim()) as string[];
    };
    expect(loaded('memory')).toEqual([]);
    expect(loaded('redis')).toEqual(['ioredis']);
  });
});
