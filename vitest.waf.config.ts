import { defineConfig } from 'vitest/config';

/**
 * `npm run test:waf`: the bridge behind real ModSecurity + OWASP CRS (Apache processes per paranoia level, a few
 * thousand requests through the WAF), kept out of `npm test` for time; `.ci/run` runs it after `npm test`.
 */
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/waf/modsecurity/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    restoreMocks: true,
    fileParallelism: false,
  },
});
