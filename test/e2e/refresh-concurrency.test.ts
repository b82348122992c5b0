/**
 * Atomic refresh rotation across bridge instances (DESIGN §6, STORAGE.md): two real bridges on one Redis key prefix;
 * ten concurrent uses of one refresh token, spread over both, as behind a load balancer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeSignIn, logEvents, userinfoRequest } from '../helpers/app-client.ts';
import { startLegacyIssuer, type LegacyIssuer } from '../helpers/legacy-issuer.ts';
import { deleteKeys, startStack, type Stack } from '../helpers/stack.ts';
import { OFFLINE_APP, OFFLINE_SCOPE, offlineClients, refreshRequest } from './refresh-clients.ts';

describe('refresh rotation on two bridge instances, one Redis', () => {
  const keyPrefix = `test:refresh-concurrency:${crypto.randomUUID()}:`;
  let legacy: LegacyIssuer;
  let instances: Stack[];

  beforeAll(async () => {
    legacy = await startLegacyIssuer({ alg: 'ES256' });
    instances = await Promise.all([0, 1].map(() => startStack({ store: 'redis', keyPrefix, legacy, clients: offlineClients })));
  });
  afterAll(async () => {
    await Promise.all((instances ?? []).map((stack) => stack.close()));
    await legacy?.close();
    await deleteKeys(keyPrefix);
  });

  it('10 concurrent refreshes of one token → exactly one success; the others are reuses that end the grant', async () => {
    const { tokens } = await completeSignIn(instances[0]!, await instances[0]!.browser('alice'), OFFLINE_APP, { scope: OFFLINE_SCOPE });
    const results = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const response = await refreshRequest(instances[i % 2]!, OFFLINE_APP, tokens.refresh_token!);
        return { instance: i % 2, status: response.status, body: (await response.json()) as Record<string, string> };
      }),
    );
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status !== 200).map((r) => [r.status, r.body.error])).toEqual(Array.from({ length: 9 }, () => [400, 'invalid_grant']));
    // The losers presented a secret already rotated away: a reuse, which revoked what the winner got.
    const winner = winners[0]!;
    expect((await userinfoRequest(instances[winner.instance]!, winner.body.access_token)).status).toBe(401);
    expect((await refreshRequest(instances[0]!, OFFLINE_APP, winner.body.refresh_token!)).status).toBe(400);
    expect(instances.flatMap((stack) => logEvents(stack, 'refresh.reused')).length).toBeGreaterThan(0);
  });
});
