/**
 * The device flow end to end with real parts: openid-client v6 as the CLI (initiateDeviceAuthorization,
 * pollDeviceAuthorizationGrant), headless Chromium as the person, and the shipped nginx WAF template in front of the
 * bridge's JWT endpoint (cookie mode). Every device page is saved to test-output/screenshots/device-*.png.
 *
 *   CLI ──▶ bridge /device_authorization, /token (polling)
 *   Chromium ──▶ bridge /device ──▶ nginx /existing/auth-new (legacy_session cookie → x-custom-tkn) ──▶ bridge callback
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import type { BrowserContext, Browser as Chromium, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.ts';
import { createLogger } from '../../src/observability/create-logger.ts';
import { createPinoLogger } from '../../src/observability/pino.ts';
import { startNodeServer, type RunningServer } from '../../src/runtime/node.ts';
import { hasChromium, launchChromium, screenshotDir } from '../helpers/chromium.ts';
import { DEVICE_GRANT } from '../helpers/device.ts';
import { startLegacyIssuer, type LegacyIssuer } from '../helpers/legacy-issuer.ts';
import { readWafTemplate, renderWafTemplate, startNginx, type RunningNginx } from '../helpers/nginx.ts';
import { freePort } from '../helpers/ports.ts';
import { captureLogs, legacyIdpEntry } from '../helpers/stack.ts';

const JWT_PATH = '/existing/auth-new';
const SECRET = randomBytes(24).toString('hex');
const HAS_NGINX = hasChromium && (await import('node:fs')).existsSync('/usr/sbin/nginx');

describe.skipIf(!HAS_NGINX)('device flow: openid-client CLI, Chromium, real nginx WAF', () => {
  let legacy: LegacyIssuer;
  let legacyApp: Server;
  let bridge: RunningServer;
  let waf: RunningNginx;
  let wafUrl: string;
  let issuer: string;
  let chromium: Chromium;
  let screenshots: string;
  const captured = captureLogs();

  beforeAll(async () => {
    legacy = await startLegacyIssuer({ alg: 'ES256' });
    // The legacy application behind the WAF: its login page is the IdP's loginUrl.
    legacyApp = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>Legacy</title><h1>Legacy sign-in</h1><p>${req.url?.split('?')[0]}</p>`);
    });
    await new Promise<void>((resolve) => legacyApp.listen(0, '127.0.0.1', resolve));
    const bridgePort = await freePort();
    issuer = `http://127.0.0.1:${bridgePort}`;
    waf = await startNginx((port) =>
      renderWafTemplate(readWafTemplate(), {
        LISTEN_PORT: String(port),
        BRIDGE_UPSTREAM: `127.0.0.1:${bridgePort}`,
        LEGACY_UPSTREAM: `127.0.0.1:${(legacyApp.address() as AddressInfo).port}`,
        WAF_SHARED_SECRET: SECRET,
      }),
    );
    // Another host name for the WAF than the bridge's, so that their cookies stay apart as on two real domains.
    wafUrl = waf.url.replace('127.0.0.1', 'localhost');
    const proxy = { trustedProxy: { sharedSecretHeader: 'x-waf-secret', sharedSecret: SECRET } };
    const config = validateConfig({
      issuer,
      server: { host: '127.0.0.1', port: bridgePort },
      store: { type: 'memory' },
      logging: { level: 'info' },
      device: { intervalSeconds: 1, wrongCodesPerBrowser: 3 },
      identityProviders: [
        legacyIdpEntry(legacy, `${wafUrl}${JWT_PATH}`, proxy),
        legacyIdpEntry(legacy, `${wafUrl}${JWT_PATH}`, { ...proxy, id: 'legacy-login', loginUrl: `${wafUrl}/login` }),
      ],
      clients: [
        { clientId: 'jitsudo-cli', identityProviders: ['legacy', 'legacy-login'], grantTypes: [DEVICE_GRANT, 'refresh_token'] },
        { clientId: 'ops-cli', identityProviders: ['legacy'], grantTypes: [DEVICE_GRANT], access: { requireClaims: { groups: 'ops-admins' } } },
      ],
    });
    bridge = await startNodeServer({ config, logger: createLogger(createPinoLogger, config, { destination: captured.destination }) });
    chromium = await launchChromium();
    screenshots = await screenshotDir();
  });
  afterAll(async () => {
    await chromium?.close();
    await waf?.stop();
    await bridge?.close();
    await new Promise((resolve) => legacyApp?.close(resolve));
    await legacy?.close();
  });

  const cli = (clientId = 'jitsudo-cli') => oidc.discovery(new URL(issuer), clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const shoot = (page: Page, name: string) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });

  /** A Chromium profile that holds a WAF session (the legacy_session cookie on the WAF's host) for these claims. */
  async function personWithSession(claims?: Record<string, unknown>): Promise<BrowserContext> {
    const context = await chromium.newContext();
    if (claims) await context.addCookies([{ name: 'legacy_session', value: await legacy.mint(claims), url: wafUrl }]);
    return context;
  }

  const expectNoScript = async (page: Page) => expect(await page.locator('script').count()).toBe(0);

  it('the CLI shows a code; the person opens verification_uri_complete, continues, approves through nginx; the CLI gets its tokens', async () => {
    const config = await cli();
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid profile email groups offline_access' });
    const polling = oidc.pollDeviceAuthorizationGrant(config, started);
    const context = await personWithSession({ sub: 'alice', email: 'alice@example.com', name: 'Alice', groups: ['ops-admins', 'devs'], amr: ['pwd', 'mfa'] });
    try {
      const page = await context.newPage();
      await page.goto(started.verification_uri_complete!);
      expect(await page.textContent('h1')).toBe('Connect a device');
      // Labelled, focused, prefilled.
      expect(await page.getByLabel('Code shown on your device').inputValue()).toBe(started.user_code);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('user_code');
      await expectNoScript(page);
      await shoot(page, 'device-1-enter-code');

      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForSelector('text=Approve jitsudo-cli?');
      expect(await page.textContent('body')).toContain(started.user_code);
      expect(await page.textContent('body')).toContain('See the groups you belong to');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Approve');
      await shoot(page, 'device-2-confirm');

      await page.getByRole('button', { name: 'Approve' }).click();
      await page.waitForSelector('text=Device connected');
      expect(new URL(page.url()).pathname).toBe('/login/jwt/callback');
      expect(await page.textContent('body')).toContain('return to your terminal');
      await shoot(page, 'device-3-connected');
    } finally {
      await context.close();
    }
    const tokens = await polling;
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: issuer, aud: 'jitsudo-cli', email: 'alice@example.com', groups: ['ops-admins', 'devs'], amr: ['pwd', 'mfa'] });
    expect(tokens.refresh_token).toBeTruthy();
  });

  it('a wrong code shows the form again with an alert; too many wrong codes in one browser stop it', async () => {
    const context = await personWithSession({ sub: 'bob' });
    try {
      const page = await context.newPage();
      await page.goto(`${issuer}/device`);
      for (let i = 0; i < 3; i++) {
        await page.getByLabel('Code shown on your device').fill('bcdf-ghjk');
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.waitForSelector('[role=alert]');
      }
      expect(await page.getAttribute('#user_code', 'aria-invalid')).toBe('true');
      await shoot(page, 'device-4-wrong-code');
      await page.getByLabel('Code shown on your device').fill('bcdf-ghjk');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForSelector('text=Too many attempts');
      await shoot(page, 'device-5-too-many-attempts');
    } finally {
      await context.close();
    }
  });

  it('deny: the person sees "Request denied"; the CLI gets access_denied', async () => {
    const config = await cli();
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
    const polling = oidc.pollDeviceAuthorizationGrant(config, started).catch((error: unknown) => error);
    const context = await personWithSession({ sub: 'carol' });
    try {
      const page = await context.newPage();
      await page.goto(started.verification_uri_complete!);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('button', { name: 'Deny' }).click();
      await page.waitForSelector('text=Request denied');
      await shoot(page, 'device-6-denied');
    } finally {
      await context.close();
    }
    expect(await polling).toMatchObject({ error: 'access_denied' });
  });

  it('no WAF session: a page says so; with the IdP loginUrl, the legacy sign-in page instead', async () => {
    const config = await cli();
    for (const [scope, expected] of [
      ['openid', 'Not signed in'],
      ['openid urn:zitadel:iam:org:idp:id:legacy-login', 'Legacy sign-in'],
    ] as const) {
      const started = await oidc.initiateDeviceAuthorization(config, { scope });
      const context = await personWithSession();
      try {
        const page = await context.newPage();
        await page.goto(started.verification_uri_complete!);
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.getByRole('button', { name: 'Approve' }).click();
        await page.waitForSelector(`h1:text("${expected}")`);
        if (expected === 'Not signed in') await shoot(page, 'device-7-not-signed-in');
        else expect(new URL(page.url()).searchParams.get('return_to')).toContain(`${JWT_PATH}?authRequestID=`);
      } finally {
        await context.close();
      }
    }
  });

  it('a user outside the client\'s access policy sees "Access denied"; the CLI gets access_denied', async () => {
    const config = await cli('ops-cli');
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid groups' });
    const polling = oidc.pollDeviceAuthorizationGrant(config, started).catch((error: unknown) => error);
    const context = await personWithSession({ sub: 'dave', groups: ['devs'] });
    try {
      const page = await context.newPage();
      await page.goto(started.verification_uri_complete!);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('button', { name: 'Approve' }).click();
      await page.waitForSelector('text=Access denied');
      await shoot(page, 'device-8-access-denied');
    } finally {
      await context.close();
    }
    expect(await polling).toMatchObject({ error: 'access_denied' });
    expect(captured.logs.some((line) => line.includes('"event":"access.denied"') && line.includes('client_policy_denied'))).toBe(true);
  });
});
