/**
 * What a person sees when a sign-in cannot go back to the application: the bridge's plain pages, rendered in headless
 * Chromium and saved to test-output/screenshots/ for eyeballing. Each page says what happened, what to do, and the
 * request id to quote to support, with no script and nothing the request sent echoed back.
 */
import { join } from 'node:path';
import type { Browser as Chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUrl } from '../helpers/app-client.ts';
import { hasChromium, launchChromium, screenshotDir } from '../helpers/chromium.ts';
import { startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

describe.skipIf(!hasChromium)('error pages in Chromium', () => {
  let stack: Stack;
  let chromium: Chromium;
  let screenshots: string;
  beforeAll(async () => {
    stack = await startStack();
    chromium = await launchChromium();
    screenshots = await screenshotDir();
  });
  afterAll(async () => {
    await chromium?.close();
    await stack?.close();
  });

  it.each([
    ['error-unknown-application', async () => (await authorizeUrl(stack, { ...WEB_APP, clientId: '<b>evil</b>' })).url, 'Unknown application'],
    ['error-invalid-redirect', async () => (await authorizeUrl(stack, { ...WEB_APP, redirectUri: 'https://evil.example/cb' })).url, 'Invalid redirect address'],
    ['error-expired-request', async () => `${stack.waf.url}/login/jwt?authRequestID=expired.or.forged`, 'Sign-in request expired'],
  ])('%s', async (name, url, heading) => {
    const page = await chromium.newPage();
    try {
      const response = await page.goto(await url());
      expect(response?.status()).toBe(400);
      expect(await page.textContent('h1')).toBe(heading);
      expect(await page.textContent('body')).toMatch(/Request ID: \S+/);
      expect(await page.content()).not.toContain('<b>evil</b>');
      expect(await page.locator('script').count()).toBe(0);
      await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
    } finally {
      await page.close();
    }
  });
});
