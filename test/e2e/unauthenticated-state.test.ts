/**
 * Unauthenticated traffic must not grow server state (issue #9): 20,000 /authorize requests from anyone who knows a
 * public client_id and its redirect_uri store nothing, and real users signing in meanwhile are not affected.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUrl, completeSignIn } from '../helpers/app-client.ts';
import { REDIS_URL, SPA, startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

/** Bytes Redis accounts to every key under the prefix (MEMORY USAGE), and their number. */
async function footprint(redis: Redis, prefix: string): Promise<{ keys: number; bytes: number }> {
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of batch) {
      keys++;
      bytes += Number(await redis.memory('USAGE', key)) || 0;
    }
  } while (cursor !== '0');
  return { keys, bytes };
}

describe('20,000 unauthenticated /authorize requests (redis store)', () => {
  let stack: Stack;
  let redis: Redis;
  beforeAll(async () => {
    stack = await startStack({ store: 'redis' });
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.close();
  });

  it('grow the store by less than 1 MB (in fact by nothing), while real users sign in', async () => {
    // Warm up: the first request creates the sealing keys; one real login creates its user.
    await completeSignIn(stack, await stack.browser('warm-up'), WEB_APP);
    const before = await footprint(redis, stack.keyPrefix);

    // The largest values a client may send, so the sealed authRequestID is as long as it gets.
    const { url } = await authorizeUrl(stack, SPA, { state: 's'.repeat(1024), nonce: 'n'.repeat(512) });
    let sent = 0;
    let longest = 0;
    const flood = async () => {
      while (sent < 20_000) {
        sent++;
        const response = await fetch(url, { redirect: 'manual' });
        expect(response.status).toBe(302);
        longest = Math.max(longest, response.headers.get('location')!.length);
      }
    };
    const users = ['u1', 'u2', 'u3', 'u4', 'u5'];
    const [signIns] = await Promise.all([
      Promise.all(users.map(async (sub) => completeSignIn(stack, await stack.browser(sub), WEB_APP))),
      ...Array.from({ length: 16 }, flood),
    ]);

    expect(signIns.map((s) => typeof s.claims.sub)).toEqual(users.map(() => 'string'));
    const after = await footprint(redis, stack.keyPrefix);
    // Five real logins wrote a user, a link, a spent auth request, a code, a session (sid → grant, for logout) and
    // the user's session index (for users disable) each; the flood wrote nothing.
    expect(after.bytes - before.bytes).toBeLessThan(1_000_000);
    expect(after.keys - before.keys).toBeLessThanOrEqual(users.length * 6);
    // The JWT endpoint URL (with the sealed request) stays far below nginx's 8 KB request-line buffer.
    expect(longest).toBeLessThan(4096);
  }, 120_000);
});
