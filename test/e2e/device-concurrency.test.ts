/**
 * One device code, approved once, polled concurrently on two bridge instances sharing one Redis: exactly one poll
 * gets tokens (the record's one compare-and-swap to `redeemed`), every other one a protocol error, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLegacyIssuer, type LegacyIssuer } from '../helpers/legacy-issuer.ts';
import { answerDevice, deviceClients, pageTitle, pollDevice, startedDevice } from '../helpers/device.ts';
import { deleteKeys, startStack, type Stack } from '../helpers/stack.ts';

describe('device code redeemed once across two instances', () => {
  const keyPrefix = `test:device-concurrency:${crypto.randomUUID()}:`;
  let legacy: LegacyIssuer;
  let instances: Stack[];
  beforeAll(async () => {
    legacy = await startLegacyIssuer({ alg: 'ES256' });
    const options = { store: 'redis' as const, keyPrefix, legacy, clients: deviceClients() };
    instances = await Promise.all([startStack(options), startStack(options)]);
  });
  afterAll(async () => {
    await Promise.all((instances ?? []).map((stack) => stack.close()));
    await legacy?.close();
    await deleteKeys(keyPrefix);
  });

  it('started on one, approved on the other, 20 parallel polls over both → exactly one 200', async () => {
    const [a, b] = instances as [Stack, Stack];
    const started = await startedDevice(a, { scope: 'openid groups offline_access' });
    expect(await pageTitle(await answerDevice(await b.browser('alice', { groups: ['ops'] }), b.issuer, started.user_code))).toBe('Device connected');
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const response = await pollDevice(instances[i % 2]!, started.device_code);
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      }),
    );
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.body.refresh_token).toBeTruthy();
    for (const loser of results.filter((r) => r.status !== 200)) {
      expect(loser.status).toBe(400);
      expect(['invalid_grant', 'slow_down']).toContain(loser.body.error);
      expect(loser.body.access_token).toBeUndefined();
    }
  });
});
