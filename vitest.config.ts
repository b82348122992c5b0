import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Tests talk to real servers on loopback only; never allow a stray outbound request to hang a run.
    restoreMocks: true,
    reporters: ['default', './test/reporters/summary-line.ts'],
    // One run, two projects, one closing summary line: Node tests, and tests inside workerd (vitest.workers.config.mts).
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
          // test/cluster: npm run test:cluster; test/waf/modsecurity: npm run test:waf
          exclude: [...configDefaults.exclude, 'test/workers/workerd/**', 'test/cluster/**', 'test/waf/modsecurity/**'],
        },
      },
      './vitest.workers.config.mts',
    ],
  },
});
