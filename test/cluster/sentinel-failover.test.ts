/**
 * Sentinel (STORAGE.md "Topologies"): one master, one replica, three sentinels on loopback; a failover in the middle
 * of a stream of first logins. The bridge follows the new master by itself (failoverDetector), the logins resume,
 * and the store holds exactly one user per person: none duplicated, none lost.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { obtainCode, redeemCode } from '../helpers/app-client.ts';
import { pollUntil } from '../helpers/poll-until.ts';
import { type RedisSentinelSet, startRedisSentinel } from '../helpers/redis-topologies.ts';
import { openRedisStoreOn, startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

describe('Redis Sentinel: a failover during a stream of logins', () => {
  let set: RedisSentinelSet;
  let stack: Stack;
  const keyPrefix = `test:sentinel:${crypto.randomUUID()}:`;

  beforeAll(async () => {
    set = await startRedisSentinel();
    stack = await startStack({
      store: 'redis',
      keyPrefix,
      redis: { sentinel: { name: set.name, sentinels: set.sentinels }, waitForReplicas: { replicas: 1, timeoutMs: 200 } },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await set?.close();
  });

  /** One first login of `sub` as an app does it: the bridge user id (ID token sub), or what went wrong. */
  const login = async (sub: string): Promise<{ bridgeSub: string } | { failure: string }> => {
    try {
      const { code, verifier } = await obtainCode(stack, await stack.browser(sub), WEB_APP);
      const response = await redeemCode(stack, WEB_APP, code, verifier);
      const body = (await response.json()) as { id_token?: string; error?: string };
      if (response.status !== 200) return { failure: `token ${response.status} ${body.error}` };
      return { bridgeSub: decodeJwt(body.id_token!).sub! };
    } catch (error) {
      // obtainCode names where the flow stopped, e.g. an error redirect carrying temporarily_unavailable.
      return { failure: String((error as Error).message).replace(/code=[^&\s]+/g, 'code=…') };
    }
  };

  it('logins resume by themselves after SENTINEL FAILOVER; one user per sub, none lost', async () => {
    const firstMaster = await set.masterPort();
    const users = new Map<string, string>(); // legacy sub → bridge user id
    const failures: string[] = [];
    let next = 0;
    let stop = false;
    let successesAfterFailover = 0;
    let failedOver = false;

    // Four "users" at a time, each retrying its own login until it succeeds, as people do.
    const worker = async () => {
      while (!stop) {
        const sub = `person-${next++}`;
        for (let attempt = 0; ; attempt++) {
          const result = await login(sub);
          if ('bridgeSub' in result) {
            users.set(sub, result.bridgeSub);
            if (failedOver) successesAfterFailover++;
            break;
          }
          failures.push(result.failure);
          if (attempt >= 200) throw new Error(`login of ${sub} never recovered: ${failures.slice(-3).join(' | ')}`);
          await delay(25); // a person retrying, not a synchronisation
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);

    await pollUntil(() => users.size >= 20, { what: '20 logins before the failover', timeoutMs: 30_000 });
    const sentinel = new Redis(set.sentinels[0]!);
    try {
      expect(await sentinel.call('SENTINEL', 'FAILOVER', set.name)).toBe('OK');
    } finally {
      sentinel.disconnect();
    }
    await pollUntil(async () => (await set.masterPort()) !== firstMaster, { what: 'the sentinels to promote the replica', timeoutMs: 30_000, intervalMs: 100 });
    failedOver = true;
    await pollUntil(() => successesAfterFailover >= 30, { what: '30 logins after the failover', timeoutMs: 30_000 });
    stop = true;
    await Promise.all(workers);

    // Whatever failed while the master changed was a temporary unavailability, never a server error.
    for (const failure of failures) expect(failure).toMatch(/temporarily_unavailable|token 503/);

    // No user lost: each person's next login finds the same bridge user. No user duplicated: one link, one record each.
    for (const [sub, bridgeSub] of users) {
      const again = await login(sub);
      expect(again, sub).toEqual({ bridgeSub });
    }
    const view = openRedisStoreOn({ sentinel: { name: set.name, sentinels: set.sentinels } }, keyPrefix);
    try {
      expect((await view.store.list('link:')).length).toBe(users.size);
      expect((await view.store.list('user:')).sort()).toEqual([...new Set(users.values())].map((id) => `user:${id}`).sort());
    } finally {
      await view.close();
    }
  });
});
