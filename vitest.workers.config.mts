import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

/**
 * Tests that run inside workerd (the Workers runtime), with the Worker of wrangler.toml as the main module so that its
 * Durable Object class and bindings are real. ESM (`.mts`) as the plugin requires. A global setup (in Node) starts the
 * Upstash REST stand-in; its URL and token reach the Worker as test-only bindings.
 */
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => {
      const upstash = inject<{ url: string; token: string }>('upstash');
      return {
        wrangler: { configPath: './wrangler.toml' },
        miniflare: { bindings: { TEST_UPSTASH_URL: upstash.url, TEST_UPSTASH_TOKEN: upstash.token } },
      };
    }),
  ],
  test: {
    name: 'workerd',
    include: ['test/workers/workerd/**/*.test.ts'],
    globalSetup: ['test/workers/workerd/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
