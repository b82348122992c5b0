import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/parse.ts';
import { configProblems, minimalConfig } from '../../helpers/config.ts';

const withStore = (store: unknown) => ({ ...minimalConfig(), store });

describe('store: redis topologies', () => {
  it('accepts cluster and sentinel, with credentials, TLS and waitForReplicas', () => {
    const cluster = validateConfig(
      withStore({
        type: 'redis',
        cluster: { nodes: ['rediss://10.0.0.1:6379', 'rediss://10.0.0.2:6379'] },
        password: 'pw',
        tls: { servername: 'redis.internal' },
      }),
    );
    expect(cluster.store.cluster).toEqual({ nodes: ['rediss://10.0.0.1:6379', 'rediss://10.0.0.2:6379'] });
    const sentinel = validateConfig(
      withStore({ type: 'redis', sentinel: { name: 'mymaster', sentinels: ['redis://:sentinel-pw@10.0.0.5:26379'] }, waitForReplicas: {} }),
    );
    expect(sentinel.store.sentinel?.name).toBe('mymaster');
    expect(sentinel.store.waitForReplicas).toEqual({ replicas: 1, timeoutMs: 100 });
  });

  it.each([
    [
      'url and cluster together',
      { type: 'redis', url: 'redis://a:6379', cluster: { nodes: ['redis://b:6379'] } },
      'store.cluster: give one of url, cluster or sentinel',
    ],
    [
      'cluster and sentinel together',
      { type: 'redis', cluster: { nodes: ['redis://b:6379'] }, sentinel: { name: 'm', sentinels: ['redis://c:26379'] } },
      'store.sentinel: give one of',
    ],
    ['no nodes', { type: 'redis', cluster: { nodes: [] } }, 'store.cluster.nodes:'],
    ['a node that is not a redis URL', { type: 'redis', cluster: { nodes: ['http://b:6379'] } }, 'store.cluster.nodes[0]: must be a redis:// or rediss:// URL'],
    ['a node with a database path', { type: 'redis', cluster: { nodes: ['redis://b:6379/2'] } }, 'store.cluster.nodes[0]: must be a redis://'],
    [
      'mixed TLS and plain nodes',
      { type: 'redis', cluster: { nodes: ['redis://a:6379', 'rediss://b:6379'] } },
      'store.cluster.nodes: must all be redis:// or all rediss://',
    ],
    ['a sentinel without a name', { type: 'redis', sentinel: { sentinels: ['redis://c:26379'] } }, 'store.sentinel.name:'],
    [
      'a bad sentinel name',
      { type: 'redis', sentinel: { name: 'my master', sentinels: ['redis://c:26379'] } },
      'store.sentinel.name: must be a sentinel master name',
    ],
    ['an unknown sentinel key', { type: 'redis', sentinel: { name: 'm', sentinels: ['redis://c:26379'], role: 'slave' } }, 'store.sentinel:'],
    ['cluster on the memory store', { type: 'memory', cluster: { nodes: ['redis://b:6379'] } }, 'store.cluster: applies only to store.type "redis"'],
    [
      'a password on upstash',
      { type: 'upstash', url: 'https://x.upstash.io', token: 't', password: 'p' },
      'store.password: applies only to store.type "redis"',
    ],
    [
      'a WAIT timeout above the command timeout',
      { type: 'redis', url: 'redis://a:6379', waitForReplicas: { timeoutMs: 5_000 } },
      'store.waitForReplicas.timeoutMs:',
    ],
    ['redis with no servers at all', { type: 'redis' }, 'store.url: is required when store.type is "redis"'],
  ])('names the key path: %s', (_name, store, expected) => {
    const problems = configProblems(withStore(store));
    expect(
      problems.some((p) => p.startsWith(expected)),
      `problems were:\n${problems.join('\n')}`,
    ).toBe(true);
  });
});
