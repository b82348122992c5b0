/**
 * One device code, approved once, polled concurrently through three bridge instances sharing one Redis behind a
 * round-robin balancer (one issuer URL): exactly one poll gets tokens (the record's one compare-and-swap to
 * `redeemed`), every other one a protocol error, never a 500. On the shared standalone Redis in `npm test`, on a
 * 3-master Redis Cluster in `npm run test:cluster`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logEvents } from '../helpers/app-client.ts';
import { answerDevice, deviceClients, pageTitle, pollDevice, startedDevice } from '../helpers/device.ts';
import { startLegacyIssuer, type LegacyIssuer } from '../helpers/legacy-issuer.ts';
import { deleteKeys, startStack, type Stack } from '../helpers/stack.ts';

describe('device code redeemed once across three bridge instances (redis store)', () => {
  const keyPrefix = `test:device-concurrency:${crypto.randomUUID()}:`;
  let legacy: LegacyIssuer;
  let stack: Stack;
  beforeAll(async () => {
    legacy = await startLegacyIssuer({ alg: 'ES256' });
    stack = await startStack({ store: 'redis', keyPrefix, legacy, clients: deviceClients(), instances: 3 });
  });
  afterAll(async () => {
    await stack?.close();
    await legacy?.close();
    await deleteKeys(keyPrefix);
  });

  const servedBy = (from: number, path: string) =>
    new Set(
      stack
        .balancer!.requests.slice(from)
        .filter((r) => new URL(r.target, 'http://x').pathname === path)
        .map((r) => r.upstream),
    );

  it('started, approved and 30 parallel polls spread over all three → exactly one 200, tokens once', async () => {
    const from = stack.balancer!.requests.length;
    const started = await startedDevice(stack, { scope: 'openid groups offline_access' });
    const approved = await answerDevice(await stack.browser('alice', { groups: ['ops'] }), stack.issuer, started.user_code);
    expect(await pageTitle(approved)).toBe('Device connected');
    // The person's side alone already crossed instances.
    expect(servedBy(from, '/device').size).toBeGreaterThan(1);

    const pollsFrom = stack.balancer!.requests.length;
    const results = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const response = await pollDevice(stack, started.device_code);
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      }),
    );
    expect(servedBy(pollsFrom, '/token')).toEqual(new Set([0, 1, 2]));
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.body.access_token).toBeTruthy();
    expect(winners[0]!.body.refresh_token).toBeTruthy();
    const losers = results.filter((r) => r.status !== 200);
    expect(losers).toHaveLength(29);
    for (const loser of losers) {
      expect(loser.status).toBe(400);
      expect(['invalid_grant', 'slow_down']).toContain(loser.body.error);
      expect(loser.body.access_token).toBeUndefined();
    }
    // Tokens were issued once, by one of the three instances.
    expect(logEvents(stack, 'token.issued').filter((e) => e.grantType === 'device_code')).toHaveLength(1);

    // Afterwards the code is spent on every instance.
    const later = await Promise.all(Array.from({ length: 3 }, () => pollDevice(stack, started.device_code)));
    for (const response of later) {
      expect(response.status).toBe(400);
      expect(['invalid_grant', 'slow_down']).toContain(((await response.json()) as { error: string }).error);
    }
  });
});
