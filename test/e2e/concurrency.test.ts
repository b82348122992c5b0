/**
 * Atomicity across bridge instances (DESIGN §5, §6, §7; STORAGE.md): two real bridges share one Redis key prefix and
 * one legacy issuer, and requests are spread over both, as behind a load balancer.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUrl, logEvents, obtainCode, redeemCode, userinfoRequest } from '../helpers/app-client.ts';
import { startLegacyIssuer, type LegacyIssuer } from '../helpers/legacy-issuer.ts';
import { deleteKeys, openRedisStore, startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

describe('two bridge instances on one Redis', () => {
  const keyPrefix = `test:concurrency:${crypto.randomUUID()}:`;
  let legacy: LegacyIssuer;
  let instances: Stack[];
  let redis: ReturnType<typeof openRedisStore>;

  beforeAll(async () => {
    legacy = await startLegacyIssuer({ alg: 'ES256' });
    instances = await Promise.all([startStack({ store: 'redis', keyPrefix, legacy }), startStack({ store: 'redis', keyPrefix, legacy })]);
    redis = openRedisStore(keyPrefix);
  });
  afterAll(async () => {
    await redis?.close();
    await Promise.all((instances ?? []).map((stack) => stack.close()));
    await legacy?.close();
    await deleteKeys(keyPrefix);
  });

  const events = (event: string) => instances.flatMap((stack) => logEvents(stack, event));

  it('30 parallel first logins of one new sub → one bridge user, the same sub for all', async () => {
    const sub = `newcomer-${crypto.randomUUID()}`;
    const subs = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const stack = instances[i % 2]!;
        const { code, verifier } = await obtainCode(stack, await stack.browser(sub, { email: `${sub}@example.com` }), WEB_APP);
        const response = await redeemCode(stack, WEB_APP, code, verifier);
        expect(response.status).toBe(200);
        return decodeJwt(((await response.json()) as { id_token: string }).id_token).sub;
      }),
    );
    expect(new Set(subs).size).toBe(1);
    expect(subs[0]).not.toBe(sub);

    const users = await redis.store.list('user:');
    expect(users).toEqual([`user:${subs[0]}`]);
    expect(await redis.store.list('link:')).toHaveLength(1);
    expect(events('user.registered').filter((e) => e.sub === sub)).toHaveLength(1);
  });

  it('20 parallel redemptions of one code → exactly one 200, 19 invalid_grant, and the grant is revoked', async () => {
    const { code, verifier } = await obtainCode(instances[0]!, await instances[0]!.browser('alice'), WEB_APP);
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const response = await redeemCode(instances[i % 2]!, WEB_APP, code, verifier);
        return { instance: i % 2, status: response.status, body: (await response.json()) as Record<string, string> };
      }),
    );
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    const losers = results.filter((r) => r.status !== 200);
    expect(losers.map((r) => [r.status, r.body.error])).toEqual(Array.from({ length: 19 }, () => [400, 'invalid_grant']));
    expect(losers.every((r) => r.body.access_token === undefined)).toBe(true);

    // Every later redemption saw the code as used and revoked what the winner got.
    const winner = winners[0]!;
    const userinfo = await userinfoRequest(instances[winner.instance]!, winner.body.access_token);
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(((await userinfo.json()) as { error_description: string }).error_description).toMatch(/revoked/);
    expect(events('code.reused').length).toBeGreaterThan(0);
  });

  it('10 parallel JWT-endpoint hits for one auth request → exactly one completion; the rest get invalid_request', async () => {
    const starter = await instances[0]!.browser('alice');
    const { url } = await authorizeUrl(instances[0]!, WEB_APP);
    const jwtUrl = new URL((await starter.request(url)).headers.get('location')!);
    const results = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const stack = instances[i % 2]!;
        // Each instance's own WAF, the same query string.
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
    const browser = await instances[0]!.browser('alice');
    const { url } = await authorizeUrl(instances[0]!, WEB_APP);
    const { stoppedAt } = await browser.follow(url, `${instances[0]!.issuer}/login/jwt/callback`);
    const cookie = `jib=${browser.cookies(instances[0]!.issuer).get('jib')}`;
    const results = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const response = await fetch(`${instances[i % 2]!.issuer}/login/jwt/callback${stoppedAt!.search}`, { headers: { cookie }, redirect: 'manual' });
        return { status: response.status, location: response.headers.get('location') };
      }),
    );
    const codes = results.filter((r) => r.location && new URL(r.location).searchParams.has('code'));
    expect(codes).toHaveLength(1);
    expect(results.filter((r) => r.status === 400)).toHaveLength(9);
  });
});
