import { describe, expect, it } from 'vitest';
import { pollUntil } from './poll-until.ts';

describe('pollUntil', () => {
  it('resolves as soon as the condition holds, checking it again until then', async () => {
    let checks = 0;
    await pollUntil(() => ++checks === 3, { what: 'the third check', intervalMs: 1 });
    expect(checks).toBe(3);
  });

  it('rejects, naming what it waited for, when the condition never holds', async () => {
    await expect(pollUntil(async () => false, { what: 'a key to expire', timeoutMs: 20, intervalMs: 1 })).rejects.toThrow(/waiting for a key to expire/);
  });
});
