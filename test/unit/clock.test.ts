import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.ts';

describe('manual clock', () => {
  it('moves only when told to', () => {
    const clock = createManualClock(1_000);
    expect(clock.now()).toBe(1_000);
    clock.advance(500);
    expect(clock.now()).toBe(1_500);
  });
});
