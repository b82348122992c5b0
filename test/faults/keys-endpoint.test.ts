/**
 * The legacy Keys Endpoint down, hanging, or answering garbage, before and after keys were cached (#15 item 2),
 * through the real bridge, WAF stand-in and openid-client. The bridge's clock is manual, so "past maxAge" and "past
 * the stale bound" are exact; the network timeout is real (and short).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.ts';
import { completeSignIn, runFlow } from '../helpers/app-client.ts';
import { startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

const keysCache = { timeoutSeconds: 1, maxAgeSeconds: 600, cooldownSeconds: 30, staleIfErrorSeconds: 300 };
type Clock = ReturnType<typeof createManualClock>;

async function loginOutcome(stack: Stack, sub: string): Promise<string> {
  const flow = await runFlow(stack, await stack.browser(sub), WEB_APP);
  expect(flow.response.status).not.toBe(500);
  return flow.code ? 'code' : (flow.callback?.searchParams.get('error') ?? `page ${flow.response.status}`);
}

describe.each(['down', 'garbage', 'hang', 'close'] as const)('Keys Endpoint %s', (mode) => {
  let clock: Clock;
  let stack: Stack;
  beforeAll(async () => {
    clock = createManualClock();
    stack = await startStack({ clock, idp: { keysCache } });
  });
  afterAll(() => stack.close());
  afterEach(() => stack.legacy.setMode('ok'));

  it('before keys were cached: temporarily_unavailable, then logins once it recovers', async () => {
    stack.legacy.setMode(mode);
    expect(await loginOutcome(stack, 'alice')).toBe('temporarily_unavailable');
    stack.legacy.setMode('ok');
    clock.advance(1000); // the first retry after a failure
    expect(await loginOutcome(stack, 'alice')).toBe('code');
  });

  it('after keys were cached: cached keys within the stale bound, then temporarily_unavailable', async () => {
    expect(await loginOutcome(stack, 'bob')).toBe('code');
    stack.legacy.setMode(mode);
    clock.advance((keysCache.maxAgeSeconds + 1) * 1000);
    expect(await loginOutcome(stack, 'bob')).toBe('code'); // stale, refreshing in the background
    clock.advance((keysCache.staleIfErrorSeconds - 2) * 1000);
    expect(await loginOutcome(stack, 'bob')).toBe('code');
    clock.advance(keysCache.cooldownSeconds * 1000);
    expect(await loginOutcome(stack, 'bob')).toBe('temporarily_unavailable');
    expect(stack.logs.some((line) => line.includes('"event":"legacy.keys_stale"') || line.includes('"event":"legacy.keys_fetch_failed"'))).toBe(true);
  });
});

describe('a hanging Keys Endpoint', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ idp: { keysCache: { ...keysCache, timeoutSeconds: 3 } } });
  });
  afterAll(() => stack.close());

  it('the bridge answers other requests while a fetch hangs', async () => {
    stack.legacy.setMode('hang');
    let settled = false;
    const login = loginOutcome(stack, 'erin').finally(() => {
      settled = true;
    });
    await stack.legacy.waitForJwksRequests(1);
    for (const path of ['/healthz', '/readyz', '/.well-known/openid-configuration', '/jwks']) {
      expect((await fetch(`${stack.issuer}${path}`)).status).toBe(200);
    }
    const other = await fetch(`${stack.issuer}/userinfo`, { headers: { authorization: 'Bearer nope' } });
    expect(other.status).toBe(401);
    expect(settled).toBe(false); // all of the above answered while the key fetch was still hanging
    expect(await login).toBe('temporarily_unavailable');
    stack.legacy.setMode('ok');
  });

  it('with cached keys, logins do not wait for a hanging refresh', async () => {
    const clock = createManualClock();
    const warm = await startStack({ clock, idp: { keysCache: { ...keysCache, timeoutSeconds: 30 } } });
    try {
      expect((await completeSignIn(warm, await warm.browser('frank'), WEB_APP)).claims.sub).toBeTruthy();
      warm.legacy.setMode('hang');
      clock.advance((keysCache.maxAgeSeconds + 1) * 1000);
      // Before the fix each of these waited for the 30 s fetch timeout (the test timed out).
      for (let i = 0; i < 3; i++) expect(await loginOutcome(warm, 'frank')).toBe('code');
      expect(warm.legacy.requests.jwks).toBe(2);
    } finally {
      warm.legacy.setMode('ok');
      await warm.close();
    }
  });
});
