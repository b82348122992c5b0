import { authRequestIdOf as idInLogs } from '../../src/oidc/flow/auth-requests.ts';
import { exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { completeSignIn, signIn } from '../helpers/app-client.ts';
import type { Browser } from '../helpers/browser.ts';
import { generateTestKey, startLegacyIssuer, type LegacyIssuer } from '../helpers/legacy-issuer.ts';
import { freePort } from '../helpers/ports.ts';
import { LEGACY_HEADER, legacyIdpEntry, sessionBrowser, SPA, testClients, WEB_APP } from '../helpers/stack.ts';
import { startWafProxy, type WafProxy } from '../helpers/waf-proxy.ts';
import { startWranglerDev, type WranglerDev } from './helpers/wrangler.ts';

/**
 * The login end to end against the Worker in workerd (`wrangler dev` of the real wrangler.toml on a loopback port) with
 * the Durable Object store: openid-client as the app, the fake legacy issuer and the WAF stand-in on loopback. Config
 * and signing keys reach the Worker as vars/secrets (a temp .env file), exactly as in a deployment.
 */
const WAF_SECRET = 'waf-shared-secret-0123456789';

let legacy: LegacyIssuer;
let worker: WranglerDev;
let waf: WafProxy;
let issuer: string;

beforeAll(async () => {
  legacy = await startLegacyIssuer({ alg: 'ES256' });
  const [port, wafPort] = [await freePort(), await freePort()];
  issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'worker-e2e', alg: 'RS256' };
  const config = {
    issuer,
    store: { type: 'durable-object', keyPrefix: 'e2e:' },
    identityProviders: [legacyIdpEntry(legacy, `http://127.0.0.1:${wafPort}/login/jwt`, { trustedProxy: { sharedSecret: '${WAF_SECRET}' } })],
    clients: testClients(['legacy'], { webAppSecret: '${WEB_APP_SECRET}' }),
  };
  worker = await startWranglerDev({
    port,
    vars: {
      BRIDGE_CONFIG: JSON.stringify(config),
      BRIDGE_SIGNING_KEYS: JSON.stringify([signingKey]),
      WEB_APP_SECRET: WEB_APP.clientSecret,
      WAF_SECRET,
    },
  });
  waf = await startWafProxy({ port: wafPort, upstream: worker.url, headerName: LEGACY_HEADER, addHeaders: { 'x-waf-secret': WAF_SECRET } });
}, 90_000);

afterEach((context) => {
  // What wrangler and the Worker printed, to diagnose a failure in CI.
  if (context.task.result?.state === 'fail') console.log(worker?.output());
});

afterAll(async () => {
  await waf?.close();
  await worker?.close();
  await legacy?.close();
});

async function browserWithSession(token?: string): Promise<Browser> {
  return sessionBrowser(waf.url, token);
}

/** The authRequestID the browser carried through the WAF. */
function authRequestIdOf(browser: Browser): string {
  const hop = browser.hops.find((h) => new URL(h.url).pathname === '/login/jwt');
  return new URL(hop!.url).searchParams.get('authRequestID')!;
}

/** The Worker logged this rejection reason for this auth request (Workers Logs lines, as wrangler dev prints them). */
function rejectionLogged(sealedAuthRequestId: string, reason: string): Promise<string> {
  const authRequestId = idInLogs(sealedAuthRequestId)!;
  // One logged object with the three fields, in any order.
  return worker.waitForOutput(new RegExp(`\\{(?=[^}]*event: 'legacy\\.rejected')(?=[^}]*authRequestId: '${authRequestId}')(?=[^}]*reason: '${reason}')`));
}

describe('login flow end to end on the Worker (workerd, Durable Object store)', () => {
  it('signs a legacy user in to a confidential client: authorize → JWT endpoint → callback → token → userinfo', async () => {
    const browser = await browserWithSession(await legacy.mint({ sub: 'alice', email: 'alice@example.com', email_verified: true, name: 'Alice Legacy' }));
    const { claims, userinfo, callback, tokens } = await completeSignIn({ issuer }, browser, WEB_APP);

    expect(callback.searchParams.get('iss')).toBe(issuer);
    expect(claims.iss).toBe(issuer);
    expect(claims.aud).toBe(WEB_APP.clientId);
    expect(claims.sub).not.toBe('alice');
    expect(claims.email).toBe('alice@example.com');
    expect(typeof claims.sid).toBe('string');
    expect(userinfo).toMatchObject({ sub: claims.sub, email: 'alice@example.com', name: 'Alice Legacy' });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(browser.hops.map((h) => new URL(h.url).pathname)).toEqual(['/authorize', '/login/jwt', '/login/jwt/callback']);
    expect(browser.hops[1]!.url.startsWith(waf.url)).toBe(true); // the JWT endpoint was reached through the WAF
    expect([...browser.cookies(issuer).keys()]).toEqual(['jib']); // one binding cookie per browser
    await worker.waitForOutput(/event: 'login\.authenticated'/);
  });

  it('maps one legacy sub to one bridge user across clients (public client with PKCE too), two subs to two users', async () => {
    const first = await completeSignIn({ issuer }, await browserWithSession(await legacy.mint({ sub: 'bob' })), WEB_APP);
    const again = await completeSignIn({ issuer }, await browserWithSession(await legacy.mint({ sub: 'bob' })), SPA);
    const other = await completeSignIn({ issuer }, await browserWithSession(await legacy.mint({ sub: 'carol' })), WEB_APP);
    expect(again.claims.aud).toBe(SPA.clientId);
    expect(again.claims.sub).toBe(first.claims.sub);
    expect(other.claims.sub).not.toBe(first.claims.sub);
  });

  it('a code is redeemed once: a second redemption is refused', async () => {
    const { app, callback, verifier, state, nonce } = await signIn({ issuer }, await browserWithSession(await legacy.mint({ sub: 'dave' })), WEB_APP);
    await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    await expect(oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce })).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('no legacy session (token_missing) → login_required at the redirect_uri, with state and iss', async () => {
    const browser = await browserWithSession();
    const { callback, state } = await signIn({ issuer }, browser, WEB_APP);
    expect(callback.searchParams.get('error')).toBe('login_required');
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('iss')).toBe(issuer);
    expect(callback.searchParams.get('code')).toBeNull();
    await rejectionLogged(authRequestIdOf(browser), 'token_missing');
  });

  const rejected: [string, () => Promise<string>, string][] = [
    // Signed by a key that is not published, under the published key's kid.
    ['a bad signature', async () => legacy.mint({ sub: 'mallory' }, { key: await generateTestKey('ES256', { kid: legacy.key.kid }) }), 'signature_invalid'],
    ['another issuer', () => legacy.mint({ sub: 'mallory', iss: 'https://issuer.evil.example' }), 'issuer_mismatch'],
    ['an expired token', () => legacy.mint({ sub: 'mallory', iat: Math.floor(Date.now() / 1000) - 900, exp: Math.floor(Date.now() / 1000) - 300 }), 'expired'],
  ];
  for (const [what, mint, reason] of rejected) {
    it(`${what} (${reason}) → access_denied at the redirect_uri, and no code`, async () => {
      const browser = await browserWithSession(await mint());
      const { callback, state } = await signIn({ issuer }, browser, WEB_APP);
      expect(callback.searchParams.get('error')).toBe('access_denied');
      expect(callback.searchParams.get('state')).toBe(state);
      expect(callback.searchParams.get('iss')).toBe(issuer);
      expect(callback.searchParams.get('code')).toBeNull();
      await rejectionLogged(authRequestIdOf(browser), reason);
    });
  }

  it('the JWT endpoint reached without the WAF (no shared secret) → access_denied (untrusted_proxy)', async () => {
    const browser = await browserWithSession();
    const app = await oidc.discovery(new URL(issuer), WEB_APP.clientId, WEB_APP.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(app, {
      redirect_uri: WEB_APP.redirectUri,
      scope: 'openid',
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const jwtEndpoint = new URL((await browser.request(url.href)).headers.get('location')!);
    // Straight to the Worker with a valid legacy token, bypassing the WAF.
    const direct = await browser.request(`${worker.url}${jwtEndpoint.pathname}${jwtEndpoint.search}`, {
      headers: { 'x-custom-tkn': await legacy.mint({ sub: 'alice' }) },
    });
    const location = new URL(direct.headers.get('location')!);
    expect(location.href.startsWith(WEB_APP.redirectUri)).toBe(true);
    expect(location.searchParams.get('error')).toBe('access_denied');
    await rejectionLogged(jwtEndpoint.searchParams.get('authRequestID')!, 'untrusted_proxy');
  });
});
