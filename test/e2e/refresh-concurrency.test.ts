/**
 * Atomic refresh rotation across bridge instances (DESIGN §6, STORAGE.md): three real bridges on one Redis key prefix
 * behind a round-robin load balancer; ten concurrent uses of one refresh token, spread over all three.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeSignIn, logEvents, userinfoRequest } from '../helpers/app-client.ts';
import { startLegacyIssuer, type LegacyIssuer } from '../helpers/legacy-issuer.ts';
import { deleteKeys, startStack, type Stack } from '../helpers/stack.ts';
import { OFFLINE_APP, OFFLINE_SCOPE, offlineClients, refreshRequest } from './refresh-clients.ts';

describe('refresh rotation on three bridge instances, one Redis', () => {
  const keyPrefix = `test:refresh-concurrency:${crypto.randomUUID()}:`;
  let legacy: LegacyIssuer;
  let stack: Stack;

  beforeAll(async () => {
    legacy = await startLegacyIssuer({ alg: 'ES256' });
    stack = await startStack({ store: 'redis', keyPrefix, legacy, clients: offlineClients, instances: 3 });
  });
  afterAll(async () => {
    await stack?.close();
    await legacy?.close();
    await deleteKeys(keyPrefix);
  });

  it('10 concurrent refreshes of one token → exactly one success; the others are reuses that end the grant', async () => {
    const { tokens } = await completeSignIn(stack, await stack.browser('alice'), OFFLINE_APP, { scope: OFFLINE_SCOPE });
    const from = stack.balancer!.requests.length;
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const response = await refreshRequest(stack, OFFLINE_APP, tokens.refresh_token!);
        return { status: response.status, body: (await response.json()) as Record<string, string> };
      }),
    );
    expect(new Set(stack.balancer!.requests.slice(from).map((r) => r.upstream))).toEqual(new Set([0, 1, 2]));
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status !== 200).map((r) => [r.status, r.body.error])).toEqual(Array.from({ length: 9 }, () => [400, 'invalid_grant']));
    // The losers presented a secret already rotated away: a reuse, which revoked what the winner got.
    const winner = winners[0]!;
    expect((await userinfoRequest(stack, winner.body.access_token)).status).toBe(401);
    expect((await refreshRequest(stack, OFFLINE_APP, winner.body.refresh_token!)).status).toBe(400);
    expect(logEvents(stack, 'refresh.reused').length).toBeGreaterThan(0);
  });
});
