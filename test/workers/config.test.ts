import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.ts';
import { parseConfig } from '../../src/config/parse.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createStore } from '../../src/storage/index.ts';

/** The store types added for Cloudflare Workers, as the config sees them (and the Node store factory). */
const base = `
issuer: https://accounts.example.com
identityProviders:
  - { id: legacy, issuer: https://issuer.example.internal, keysEndpoint: https://issuer.example.internal/keys, jwtEndpoint: https://apps.example.com/login, allowAnyAudience: true, trustedProxy: none }
`;
const parse = (store: string, env: Record<string, string> = {}) => parseConfig(`${base}store: ${store}\n`, env);
const problems = (store: string) => {
  try {
    parse(store);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
};

describe('store config for Workers', () => {
  it('accepts durable-object with an optional binding and shard count', () => {
    expect(parse('{ type: durable-object }').store).toEqual({ type: 'durable-object', keyPrefix: 'jib:' });
    expect(parse('{ type: durable-object, binding: MY_STORE, shards: 64 }').store).toMatchObject({ binding: 'MY_STORE', shards: 64 });
    expect(problems('{ type: durable-object, shards: 0 }')).toMatch(/^store\.shards: /);
    expect(problems('{ type: durable-object, binding: "not a name" }')).toMatch(/^store\.binding: must be a binding name/);
  });

  it('accepts upstash with an https URL and a token from the environment', () => {
    const config = parse('{ type: upstash, url: "https://eu1-example.upstash.io", token: "${UPSTASH_REDIS_REST_TOKEN}" }', {
      UPSTASH_REDIS_REST_TOKEN: 't0ken',
    });
    expect(config.store).toMatchObject({ type: 'upstash', url: 'https://eu1-example.upstash.io', token: 't0ken' });
    expect(problems('{ type: upstash, token: t }')).toBe('store.url: is required when store.type is "upstash"');
    expect(problems('{ type: upstash, url: "https://x.upstash.io" }')).toBe('store.token: is required when store.type is "upstash"');
    expect(problems('{ type: upstash, url: "http://x.upstash.io", token: t }')).toMatch(/^store\.url: must be an https URL/);
  });

  it('keeps the redis rules, and refuses keys that do not belong to the type', () => {
    expect(problems('{ type: redis }')).toBe('store.url: is required when store.type is "redis"');
    expect(problems('{ type: redis, url: "https://x" }')).toBe('store.url: must be a redis:// or rediss:// URL');
    expect(problems('{ type: memory, shards: 4 }')).toBe('store.shards: applies only to store.type "durable-object"');
    expect(problems('{ type: redis, url: "redis://h", token: t }')).toBe('store.token: applies only to store.type "upstash"');
  });

  it('on Node, createStore builds the upstash adapter and refuses durable-object with the reason', async () => {
    const deps = { clock: createManualClock(0), logger: silentLogger };
    const upstash = await createStore({ type: 'upstash', url: 'https://x.upstash.io', token: 't', keyPrefix: 'jib:' }, deps);
    expect(typeof upstash.compareAndSwap).toBe('function');
    await upstash.close();
    await expect(createStore({ type: 'durable-object', keyPrefix: 'jib:' }, deps)).rejects.toThrow(/only when the bridge runs on Cloudflare Workers/);
  });
});
