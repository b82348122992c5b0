/**
 * Redis Cluster routes a script by its keys, and refuses (CROSSSLOT) a script whose keys hash to different slots
 * (STORAGE.md, "Rules for the Redis adapter"). Every script the adapters define is checked here: it touches only
 * the keys it declares, and a multi-key script's keys share one slot through a hash tag.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REDIS_SCRIPTS, redisKey } from '../../../src/storage/redis-schema.ts';
import { keySlot } from '../../helpers/key-slot.ts';

// ioredis' own slot function (its dependency), to check ours against the client's routing.
const clusterKeySlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

describe('Redis Cluster slots', () => {
  it('computes slots as Redis and ioredis do', () => {
    expect(keySlot('123456789')).toBe(0x31c3 % 16384); // the CRC16/XMODEM check value
    expect(keySlot('foo')).toBe(12182); // CLUSTER KEYSLOT foo
    for (const key of ['jib:code:abc', 'jib:{user:1}:a', '{}x', 'ünï{cødé}']) expect(keySlot(key)).toBe(clusterKeySlot(key));
  });

  it.each(REDIS_SCRIPTS.map((script) => [script.name, script] as const))('%s touches only its declared keys, all in one slot', (_name, script) => {
    const used = [...script.lua.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
    expect(used.length).toBeGreaterThan(0);
    expect(Math.max(...used)).toBeLessThanOrEqual(script.numberOfKeys);
    // A key computed inside the script (string concatenation) would escape Cluster routing.
    expect(script.lua).not.toMatch(/redis\.call\([^,]+,\s*['"]/);
    if (script.numberOfKeys > 1) {
      expect(script.sampleKeys, `${script.name} takes several keys: give sampleKeys`).toBeDefined();
      for (const id of ['a', crypto.randomUUID(), 'x'.repeat(64)]) {
        const keys = script.sampleKeys!('jib:', id);
        expect(keys).toHaveLength(script.numberOfKeys);
        expect(new Set(keys.map(keySlot)).size).toBe(1);
      }
    }
  });

  it('the default key prefix carries no hash tag (that would send every key to one slot)', () => {
    const slots = new Set(['code:a', 'code:b', 'refresh:c', 'link:legacy:d', 'user:e'].map((key) => keySlot(redisKey('jib:', key))));
    expect(slots.size).toBeGreaterThan(1);
  });

  it('every Lua script in src/ is in the registry (no script escapes this check)', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
      );
    const offenders = sources('src').filter((file) => {
      const text = readFileSync(file, 'utf8');
      return /\.(eval|evalsha)\(|createScript\(|defineCommand\(/.test(text) && !/REDIS_SCRIPTS|COMPARE_AND_SWAP_LUA/.test(text);
    });
    expect(offenders).toEqual([]);
  });
});
