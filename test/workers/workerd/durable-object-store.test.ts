import { env } from 'cloudflare:workers';
import type { DurableObjectNamespace } from '@cloudflare/workers-types';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/observability/logger.ts';
import type { BridgeStoreObject } from '../../../src/storage/bridge-store-object.ts';
import { createDurableObjectStore, shardOf } from '../../../src/storage/durable-object-store.ts';
import { describeStoreContract } from '../../contract/store-contract.ts';
import { pollUntil } from '../../helpers/poll-until.ts';

/** The shared storage contract, inside workerd, against the real Durable Object class bound in wrangler.toml. */
const namespace = env.BRIDGE_STORE as DurableObjectNamespace<BridgeStoreObject>;
const newPrefix = () => `test:${crypto.randomUUID()}:`;

describeStoreContract('durable-object', async () => {
  const keyPrefix = newPrefix();
  // Few shards, so that the contract's keys share objects as well as spread over them.
  const store = createDurableObjectStore({ namespace, keyPrefix, shards: 4, logger: silentLogger });
  const peer = createDurableObjectStore({ namespace, keyPrefix, shards: 4, logger: silentLogger }); // another client
  const inspector = createDurableObjectStore({ namespace, keyPrefix, shards: 4, logger: silentLogger });
  return {
    store,
    peer,
    pttl: (key) => inspector.pttl(key),
    // Real TTLs (50 ms), as in the Redis contract run.
    expire: (key) => pollUntil(async () => (await inspector.pttl(key)) === -2, { what: `the object to expire ${key}` }),
    async cleanup() {
      for (const key of await inspector.list('')) await inspector.delete(key);
      await Promise.all([store.close(), peer.close(), inspector.close()]);
    },
  };
});

describe('durable object store', () => {
  it('spreads keys over its shards, and a key always lands on the same one', () => {
    const counts = new Array(8).fill(0);
    for (let i = 0; i < 800; i++) counts[shardOf(`code:${i}`, 8)]++;
    for (const count of counts) expect(count).toBeGreaterThan(50);
    expect(shardOf('link:legacy:alice', 32)).toBe(shardOf('link:legacy:alice', 32));
  });

  it('keeps prefixes and shard counts apart', async () => {
    const a = createDurableObjectStore({ namespace, keyPrefix: newPrefix(), logger: silentLogger });
    const b = createDurableObjectStore({ namespace, keyPrefix: newPrefix(), logger: silentLogger });
    await a.set('k', 'a');
    expect(await b.get('k')).toBeNull();
    expect(await a.list('')).toEqual(['k']);
    expect(await b.list('')).toEqual([]);
    await a.delete('k');
  });

  it('lists across every shard, sorted', async () => {
    const store = createDurableObjectStore({ namespace, keyPrefix: newPrefix(), shards: 16, logger: silentLogger });
    const keys = Array.from({ length: 60 }, (_, i) => `user:${String(i).padStart(2, '0')}`);
    await Promise.all(keys.map((key) => store.set(key, 'v')));
    expect(await store.list('user:')).toEqual(keys);
    await Promise.all(keys.map((key) => store.delete(key)));
    expect(await store.list('')).toEqual([]);
  });
});
