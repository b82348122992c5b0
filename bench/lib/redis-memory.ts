import { Redis } from 'ioredis';

/** MEMORY USAGE of every key under `prefix`, summed by kind (the key name up to its first ':' or '{' after the prefix). */
export async function redisBytesByKind(url: string, prefix: string): Promise<Record<string, { keys: number; bytes: number }>> {
  const redis = new Redis(url);
  try {
    const kinds: Record<string, { keys: number; bytes: number }> = {};
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (!keys.length) continue;
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
      const results = (await pipeline.exec()) ?? [];
      keys.forEach((key, i) => {
        const kind = /^[^:{]*/.exec(key.slice(prefix.length))![0] || key.slice(prefix.length, prefix.length + 12);
        const bytes = Number(results[i]?.[1] ?? 0);
        kinds[kind] ??= { keys: 0, bytes: 0 };
        kinds[kind].keys++;
        kinds[kind].bytes += bytes;
      });
    } while (cursor !== '0');
    return kinds;
  } finally {
    redis.disconnect();
  }
}

export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
