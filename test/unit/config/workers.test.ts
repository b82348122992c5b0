import { describe, expect, it } from 'vitest';
import { configProblems, minimalConfig } from '../../helpers/config.ts';

const redis = { type: 'redis', url: 'redis://127.0.0.1:6379' };

describe('server.workers', () => {
  it('defaults to 1 and accepts several workers on a shared store', () => {
    expect(configProblems(minimalConfig())).toEqual([]);
    expect(configProblems({ ...minimalConfig(), server: { workers: 4 }, store: redis })).toEqual([]);
  });

  it('refuses several workers on the memory store, naming server.workers', () => {
    expect(configProblems({ ...minimalConfig(), server: { workers: 2 } })).toEqual([
      'server.workers: 2 workers cannot share the memory store (each process would keep its own state): set store.type: redis, or workers: 1',
    ]);
    expect(configProblems({ ...minimalConfig(), server: { workers: 2 }, store: { type: 'memory' } })).toHaveLength(1);
  });

  it('refuses a non-positive or fractional count', () => {
    for (const workers of [0, -1, 1.5, '2']) {
      expect(configProblems({ ...minimalConfig(), server: { workers }, store: redis }).map((p) => p.split(':')[0])).toEqual(['server.workers']);
    }
  });
});
