import { defineConfig } from 'vitest/config';

/** `npm run test:fuzz`: the property-based fuzzers only (test/fuzz/*.fuzz.ts); FUZZ_RUNS sets the request count. */
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/fuzz/**/*.fuzz.ts'],
    testTimeout: 30 * 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
