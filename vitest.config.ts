import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Tests talk to real servers on loopback only; never allow a stray outbound request to hang a run.
    restoreMocks: true,
    reporters: ['default', './test/reporters/summary-line.ts'],
  },
});
