/**
 * The `npm start` demo stack, clicked through in headless Chromium exactly as a person would: the legacy app's
 * sign-in form, "Open the new app", and the new app signed in; then a fresh browser that starts at the new app and
 * is sent to the legacy login first; and "Sign out" in the new app, which goes through the bridge's /end_session and
 * the legacy app's logout, leaving the person signed out of both. Each step is saved as a screenshot in test-output/screenshots/ (overwritten on
 * every run) for the docs and for eyeballing the demo.
 */
import { join } from 'node:path';
import type { Browser as Chromium, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../src/runtime/demo/index.ts';
import { hasChromium, launchChromium, screenshotDir } from '../helpers/chromium.ts';
import { freeBase } from '../helpers/free-ports.ts';

describe.skipIf(!hasChromium)('the demo stack, clicked through in Chromium', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let chromium: Chromium;
  let screenshots: string;

  beforeAll(async () => {
    demo = await startDemo({ env: { DEMO_PORT: String(await freeBase()), DEMO_LOG_LEVEL: 'silent' }, out: () => {} });
    chromium = await launchChromium();
    screenshots = await screenshotDir();
  });
  afterAll(async () => {
    await chromium?.close();
    await demo?.close();
  });

  const shoot = (page: Page, name: string) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });

  it('legacy sign-in → "Open the new app" → signed in to the new app without a prompt', async () => {
    const context = await chromium.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${demo.urls.legacy}/`);
      await page.waitForSelector('input[name="username"]');
      await page.fill('input[name="username"]', 'carol');
      await shoot(page, 'sso-1-legacy-sign-in');

      await page.click('button[type="submit"]');
      await page.waitForSelector('#open-new-app');
      expect(await page.textContent('h1')).toContain('Hello, Carol');
      await shoot(page, 'sso-2-legacy-signed-in');

      await page.click('#open-new-app');
      await page.waitForURL(`${demo.urls.newApp}/`);
      await page.waitForSelector('#signed-in');
      expect(await page.textContent('#signed-in')).toContain('Signed in as Carol');
      expect(await page.textContent('body')).toContain('carol@legacy.example');
      await shoot(page, 'sso-3-new-app-signed-in');
    } finally {
      await context.close();
    }
  });

  it('no legacy session: new app → legacy login page → sign in → back in the new app, signed in', async () => {
    const context = await chromium.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${demo.urls.newApp}/login`);
      await page.waitForURL(`${demo.urls.legacy}/login?return_to=**`);
      await page.waitForSelector('input[name="username"]');
      expect(new URL(page.url()).searchParams.get('return_to')).toMatch(/\/existing\/auth-new\?authRequestID=/);
      await page.fill('input[name="username"]', 'dave');
      await shoot(page, 'login-1-legacy-login-from-new-app');

      await page.click('button[type="submit"]');
      await page.waitForURL(`${demo.urls.newApp}/`);
      await page.waitForSelector('#signed-in');
      expect(await page.textContent('#signed-in')).toContain('Signed in as Dave');
      await shoot(page, 'login-2-new-app-signed-in');
    } finally {
      await context.close();
    }
  });

  it('"Sign out" in the new app: /end_session → legacy logout → back in the new app, signed out of both', async () => {
    const context = await chromium.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${demo.urls.legacy}/`);
      await page.fill('input[name="username"]', 'erin');
      await page.click('button[type="submit"]');
      await page.click('#open-new-app');
      await page.waitForSelector('#signed-in');
      await shoot(page, 'logout-1-new-app-signed-in');

      const visited: string[] = [];
      page.on('request', (request) => {
        if (request.isNavigationRequest()) visited.push(request.url());
      });
      await page.click('#sign-out');
      await page.waitForURL(`${demo.urls.newApp}/signed-out?**`);
      await page.waitForSelector('#signed-out');
      await shoot(page, 'logout-2-new-app-signed-out');
      const paths = visited.map((url) => new URL(url)).map((url) => `${url.origin}${url.pathname}`);
      expect(paths).toEqual([
        `${demo.urls.newApp}/logout`,
        `${demo.urls.bridge}/end_session`,
        `${demo.urls.legacy}/logout`,
        `${demo.urls.bridge}/end_session/done`,
        `${demo.urls.newApp}/signed-out`,
      ]);

      // The legacy session is gone too: the legacy app asks for a sign-in, and so does SSO into the new app.
      await page.goto(`${demo.urls.legacy}/`);
      await page.waitForSelector('input[name="username"]');
      await page.goto(`${demo.urls.newApp}/login`);
      await page.waitForURL(`${demo.urls.legacy}/login?return_to=**`);
      await shoot(page, 'logout-3-sso-asks-for-legacy-login');
    } finally {
      await context.close();
    }
  });
});
