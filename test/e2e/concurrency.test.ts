/**
 * Atomicity across bridge instances (DESIGN §5, §6, §7; STORAGE.md): three real bridges share one Redis key prefix and
 * one legacy issuer behind a round-robin load balancer (one issuer URL), so even the requests of one login land on
 * different instances. On the shared standalone Redis in `npm test`, on a 3-master Redis Cluster in `npm run
 * test:cluster`. Device-code polling across the three instances: test/e2e/device-concurrency.test.ts.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUrl, completeSignIn, logEvents, obtainCode, redeemCode, userinfoRequest } from '../helpers/app-client.ts';
import { startLegacyIssuer, type LegacyIssuer } from '../helpers/legacy-issuer.ts';
import { deleteKeys, openRedisStore, startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

describe('three bridge instances on one Redis behind a round-robin balancer', () => {
  const keyPrefix = `test:concurrency:${crypto.randomUUID()}:`;
  let legacy: LegacyIssuer;
  let stack: Stack;
  let redis: ReturnType<typeof openRedisStore>;

  beforeAll(async () => {
    legacy = await startLegacyIssuer({ alg: 'ES256' });
    stack = await startStack({ store: 'redis', keyPrefix, legacy, instances: 3 });
    redis = openRedisStore(keyPrefix);
  });
  afterAll(async () => {
    await redis?.close();
    await stack?.close();
    await legacy?.close();
    await deleteKeys(keyPrefix);
  });

  const events = (event: string) => logEvents(stack, event);
  const servedBy = (from: number) => new Set(stack.balancer!.requests.slice(from).map((r) => r.upstream));

  it("one login's requests land on different instances and still make one sign-in", async () => {
    const from = stack.balancer!.requests.length;
    const { claims, userinfo } = await completeSignIn(stack, await stack.browser('roaming', { email: 'roaming@example.com' }), WEB_APP);
    expect(userinfo).toMatchObject({ sub: claims.sub, email: 'roaming@example.com' });
    const hops = stack.balancer!.requests.slice(from);
    // discovery, authorize, JWT endpoint (through the WAF), callback, token, JWKS, userinfo: round-robin over all three.
    expect(hops.map((r) => new URL(r.target, 'http://x').pathname)).toEqual(
      expect.arrayContaining(['/authorize', '/login/jwt', '/login/jwt/callback', '/token', '/userinfo']),
    );
    expect(servedBy(from)).toEqual(new Set([0, 1, 2]));
  });

  it('30 parallel first logins of one new sub → one bridge user, the same sub for all', async () => {
    const sub = `newcomer-${crypto.randomUUID()}`;
    const [usersBefore, linksBefore] = [await redis.store.list('user:'), await redis.store.list('link:')];
    const subs = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const { code, verifier } = await obtainCode(stack, await stack.browser(sub, { email: `${sub}@example.com` }), WEB_APP);
        const response = await redeemCode(stack, WEB_APP, code, verifier);
        expect(response.status).toBe(200);
        return decodeJwt(((await response.json()) as { id_token: string }).id_token).sub;
      }),
    );
    expect(new Set(subs).size).toBe(1);
    expect(subs[0]).not.toBe(sub);

    const users = await redis.store.list('user:');
    expect(users.filter((key) => !usersBefore.includes(key))).toEqual([`user:${subs[0]}`]);
    expect(await redis.store.list('link:')).toHaveLength(linksBefore.length + 1);
    expect(events('user.registered').filter((e) => e.sub === sub)).toHaveLength(1);
  });

  it('20 parallel redemptions of one code → exactly one 200, 19 invalid_grant, and the grant is revoked', async () => {
    const { code, verifier } = await obtainCode(stack, await stack.browser('alice'), WEB_APP);
    const from = stack.balancer!.requests.length;
    const results = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const response = await redeemCode(stack, WEB_APP, code, verifier);
        return { status: response.status, body: (await response.json()) as Record<string, string> };
      }),
    );
    expect(servedBy(from)).toEqual(new Set([0, 1, 2]));
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    const losers = results.filter((r) => r.status !== 200);
    expect(losers.map((r) => [r.status, r.body.error])).toEqual(Array.from({ length: 19 }, () => [400, 'invalid_grant']));
    expect(losers.every((r) => r.body.access_token === undefined)).toBe(true);

    // Every later redemption saw the code as used and revoked what the winner got.
    const winner = winners[0]!;
    const userinfo = await userinfoRequest(stack, winner.body.access_token);
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(((await userinfo.json()) as { error_description: string }).error_description).toMatch(/revoked/);
    expect(events('code.reused').length).toBeGreaterThan(0);
  });

  it('10 parallel JWT-endpoint hits for one auth request → exactly one completion; the rest get invalid_request', async () => {
    const starter = await stack.browser('alice');
    const { url } = await authorizeUrl(stack, WEB_APP);
    const jwtUrl = new URL((await starter.request(url)).headers.get('location')!);
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => {
        // The same query string through the WAF, spread by the balancer.
        const response = await (await stack.browser('alice')).request(`${stack.waf.url}${jwtUrl.pathname}${jwtUrl.search}`);
        return new URL(response.headers.get('location')!);
      }),
    );
    const completions = results.filter((location) => location.searchParams.has('completion'));
    expect(completions).toHaveLength(1);
    expect(results.filter((location) => location.searchParams.get('error') === 'invalid_request')).toHaveLength(9);
    expect(results.every((location) => !location.searchParams.has('code'))).toBe(true);
  });

  it('10 parallel callbacks with the right cookie and completion → exactly one code', async () => {
    const browser = await stack.browser('alice');
    const { url } = await authorizeUrl(stack, WEB_APP);
    const { stoppedAt } = await browser.follow(url, `${stack.issuer}/login/jwt/callback`);
    const cookie = `jib=${browser.cookies(stack.issuer).get('jib')}`;
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const response = await fetch(`${stack.issuer}/login/jwt/callback${stoppedAt!.search}`, { headers: { cookie }, redirect: 'manual' });
        return { status: response.status, location: response.headers.get('location') };
      }),
    );
    const codes = results.filter((r) => r.location && new URL(r.location).searchParams.has('code'));
    expect(codes).toHaveLength(1);
    expect(results.filter((r) => r.status === 400)).toHaveLength(9);
  });
});
