import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, type Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { configSecrets, createTopologyClient } from '../../../src/storage/redis-client.ts';

/** The options ioredis was given; lazyConnect so nothing dials the (unreachable) example addresses. */
const opened: (Redis | Cluster)[] = [];
const build = (config: Parameters<typeof createTopologyClient>[0]) => {
  const client = createTopologyClient(config, { lazyConnect: true });
  opened.push(client);
  return client;
};
afterEach(() => {
  for (const client of opened.splice(0)) client.disconnect();
});

describe('createTopologyClient', () => {
  it('standalone: URL credentials, db and rediss TLS; explicit username/password win', () => {
    const fromUrl = build({ url: 'rediss://app:url%40pw@10.0.0.1:6380/3' }) as Redis;
    expect(fromUrl.isCluster).toBe(false);
    expect(fromUrl.options).toMatchObject({ host: '10.0.0.1', port: 6380, db: 3, username: 'app', password: 'url@pw', tls: {} });
    const explicit = build({ url: 'redis://app:url-pw@10.0.0.1:6379', username: 'bridge', password: 'explicit-pw' }) as Redis;
    expect(explicit.options).toMatchObject({ username: 'bridge', password: 'explicit-pw' });
    expect(explicit.options.tls).toBeUndefined();
  });

  it('cluster: every seed node, one set of credentials and TLS for all nodes, reads from masters', () => {
    const dir = mkdtempSync(join(tmpdir(), 'redis-ca-'));
    writeFileSync(join(dir, 'ca.pem'), 'PEM-CA');
    const client = build({
      cluster: { nodes: ['rediss://:node-pw@10.0.0.1:6379', 'rediss://10.0.0.2:6379'] },
      tls: { caFile: join(dir, 'ca.pem'), servername: 'redis.internal' },
    }) as Cluster;
    expect(client).toBeInstanceOf(Cluster);
    expect((client as unknown as { startupNodes: unknown }).startupNodes).toEqual([
      { host: '10.0.0.1', port: 6379 },
      { host: '10.0.0.2', port: 6379 },
    ]);
    expect(client.options.scaleReads).toBe('master');
    expect(client.options.redisOptions).toMatchObject({
      password: 'node-pw',
      tls: { ca: 'PEM-CA', servername: 'redis.internal' },
      autoResendUnfulfilledCommands: false,
    });
    expect(client.options.dnsLookup).toBeTypeOf('function');
  });

  it('sentinel: failoverDetector on, sentinel credentials from the URLs, data-node credentials from the keys', () => {
    const client = build({
      sentinel: { name: 'mymaster', sentinels: ['redis://watcher:sentinel-pw@10.0.0.5:26379', 'redis://10.0.0.6:26379'] },
      password: 'data-pw',
    }) as Redis;
    expect(client.options).toMatchObject({
      name: 'mymaster',
      role: 'master',
      failoverDetector: true,
      sentinels: [
        { host: '10.0.0.5', port: 26379 },
        { host: '10.0.0.6', port: 26379 },
      ],
      sentinelUsername: 'watcher',
      sentinelPassword: 'sentinel-pw',
      password: 'data-pw',
    });
    expect(client.options.enableTLSForSentinelMode).toBeFalsy();
    const tls = build({ sentinel: { name: 'mymaster', sentinels: ['rediss://10.0.0.5:26379'] } }) as Redis;
    expect(tls.options).toMatchObject({ enableTLSForSentinelMode: true, tls: {}, sentinelTLS: {} });
  });

  it('collects every password for redaction, raw and percent-decoded', () => {
    expect(configSecrets({ cluster: { nodes: ['redis://:a%2Fb@h:1', 'redis://h:2'] }, password: 'explicit' }).sort()).toEqual(
      ['a%2Fb', 'a/b', 'explicit'].sort(),
    );
  });
});
