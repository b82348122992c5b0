/**
 * A redeploy between the steps of a login (DESIGN §10): an auth request that names a client, an IdP or a
 * redirect_uri that the new configuration no longer has ends as the "expired request" page — never a 500, and never
 * a redirect to an address that is no longer registered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUrl, expectErrorPage, logEvents } from '../helpers/app-client.ts';
import { deleteKeys, startStack, type Stack } from '../helpers/stack.ts';

const GONE_APP = { clientId: 'gone-app', clientSecret: 'gone-app-secret-0123456789', redirectUri: 'http://localhost:7009/callback' };

describe('an auth request outlives its client in a redeploy', () => {
  const keyPrefix = `test:${crypto.randomUUID()}:`;
  let before: Stack;
  let after: Stack;
  beforeAll(async () => {
    before = await startStack({
      store: 'redis',
      keyPrefix,
      clients: [{ clientId: GONE_APP.clientId, clientSecret: GONE_APP.clientSecret, redirectUris: [GONE_APP.redirectUri], identityProviders: ['legacy'] }],
    });
    // The same data, the same legacy issuer, a configuration without gone-app.
    after = await startStack({ store: 'redis', keyPrefix, legacy: before.legacy });
  });
  afterAll(async () => {
    await after?.close();
    await before?.close();
    await deleteKeys(keyPrefix);
  });

  it('the JWT endpoint of the new deployment shows the expired page, with the reason in the log', async () => {
    const browser = await before.browser('alice');
    const { url } = await authorizeUrl(before, GONE_APP);
    const { stoppedAt } = await browser.follow(url, before.waf.url);
    const id = stoppedAt!.searchParams.get('authRequestID')!;
    const response = await browser.request(`${after.waf.url}/login/jwt?authRequestID=${id}`);
    expect(await response.clone().text()).toContain('Sign-in request expired');
    await expectErrorPage(response, 400);
    expect(logEvents(after, 'legacy.rejected').map((e) => e.reason)).toContain('auth_request_unknown');
    expect(logEvents(after, 'request.failed')).toEqual([]);
  });

  it('the callback of the new deployment shows the expired page for an auth request authenticated before', async () => {
    const browser = await before.browser('alice');
    const { url } = await authorizeUrl(before, GONE_APP);
    const { stoppedAt } = await browser.follow(url, `${before.issuer}/login/jwt/callback`);
    const callback = new URL(stoppedAt!.href.replace(before.issuer, after.issuer));
    const response = await browser.request(callback.href);
    await expectErrorPage(response, 400);
    expect(response.headers.get('location')).toBeNull();
    expect(logEvents(after, 'request.failed')).toEqual([]);
  });
});
