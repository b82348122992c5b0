import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium; playwright-core never downloads a browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Browser tests run when Chromium is installed. Under CI they always run: `.ci/run` installs Chromium, and a
 * missing browser must fail the run rather than skip it quietly.
 */
export const hasChromium = existsSync(CHROMIUM_PATH) || process.env.CI === 'true';

/** Headless Chromium for loopback-only tests. Close it in afterAll. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** `test-output/screenshots/` at the repository root (git-ignored), created on demand; returns its path. */
export async function screenshotDir(): Promise<string> {
  const dir = new URL('../../test-output/screenshots/', import.meta.url).pathname;
  await mkdir(dir, { recursive: true });
  return dir;
}
