/**
 * `npm run test:fuzz`: FUZZ_RUNS generated requests (default 100,000; `.ci/run` uses fewer) spread over every endpoint
 * fuzzer, two thirds on the memory store and one third on a real Redis. Every answer is checked (harness.ts):
 * below 500, no stack trace, the documented error shape, and no store write for a rejected request; the key count
 * of the store is compared before and after each endpoint's batch as well. Reproduce a failure with the seed and
 * path fast-check prints (FUZZ_SEED=… FUZZ_PATH=…).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT_FUZZERS } from './endpoints.ts';
import { FUZZ_RUNS, startFuzzTarget, type FuzzTarget } from './harness.ts';

const totalWeight = ENDPOINT_FUZZERS.reduce((sum, f) => sum + f.weight, 0);
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const path = process.env.FUZZ_PATH;

describe.each([
  ['memory', 2 / 3],
  ['redis', 1 / 3],
] as const)('fuzzing on the %s store', (kind, share) => {
  let target: FuzzTarget;
  const errors: unknown[] = [];
  const onError = (error: unknown) => void errors.push(error);
  beforeAll(async () => {
    process.on('uncaughtException', onError);
    process.on('unhandledRejection', onError);
    target = await startFuzzTarget(kind);
    // Warm-up: what the first request creates once (sealing keys, signing keys) is not a rejected request's doing.
    await target.request(
      '/authorize?client_id=spa&redirect_uri=https%3A%2F%2Fspa.example.com%2Fcb&response_type=code&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256',
    );
    target.takeWrites();
  });
  afterAll(async () => {
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onError);
    console.info(`fuzz ${kind}: ${target.sent} requests`);
    console.info(
      `fuzz ${kind} answers: ${[...target.statuses]
        .sort()
        .map(([label, n]) => `${label}: ${n}`)
        .join(', ')}`,
    );
    await target?.close();
  });

  for (const fuzzer of ENDPOINT_FUZZERS) {
    const numRuns = Math.max(1, Math.round((FUZZ_RUNS * share * fuzzer.weight) / totalWeight));
    it(`${fuzzer.name}: ${numRuns} generated requests`, { timeout: 30 * 60_000 }, async () => {
      await fuzzer.setup?.(target);
      const keysBefore = await target.countKeys();
      const [acceptedBefore, boundedBefore] = [target.acceptedWrites, target.boundedWrites];
      await fc.assert(
        fc.asyncProperty(fuzzer.arbitrary, (value) => fuzzer.run(target, value as never)),
        { numRuns, ...(seed !== undefined && { seed }), ...(path && { path }), endOnFailure: true },
      );
      expect(errors).toEqual([]);
      // Rejected requests wrote nothing (checked per request) but their allowed, bounded writes (rate-limit counters,
      // device polling bookkeeping); the logins the fuzzers start are sealed, not stored.
      if (target.acceptedWrites === acceptedBefore) expect(await target.countKeys()).toBeLessThanOrEqual(keysBefore + target.boundedWrites - boundedBefore);
    });
  }
});
