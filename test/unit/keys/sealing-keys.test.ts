/**
 * The sealing keys behind the authRequestID (src/keys/sealing-keys.ts): authenticated encryption, shared by every
 * instance on one store, rotating by themselves, with a retired key still opening what it sealed for a while.
 */
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/clock.ts';
import { fromWire, toWire, visibleHeader } from '../../../src/keys/sealed-wire.ts';
import { createSealer } from '../../../src/keys/sealing-keys.ts';
import { createMemoryStore } from '../../../src/storage/memory.ts';

const DAY = 24 * 60 * 60 * 1000;
const RETAIN = 10 * 60 * 1000;

function setup() {
  const clock = createManualClock(Date.UTC(2026, 11, 1));
  const store = createMemoryStore({ clock });
  return { clock, store, sealer: () => createSealer({ store, clock, retainMs: RETAIN }) };
}

describe('createSealer', () => {
  it('round-trips a payload, shows only what is asked to be visible, and is alphanumeric (WAF-safe)', async () => {
    const { sealer } = setup();
    const sealed = await sealer().seal('{"secret":"state"}', { jti: 'abc' });
    expect(sealed).toMatch(/^j[A-Za-z0-9]+$/);
    expect(sealed).not.toContain('secret');
    expect(visibleHeader(sealed)).toMatchObject({ jti: 'abc', alg: 'dir', enc: 'A256GCM' });
    expect(await sealer().open(sealed)).toEqual({ payload: '{"secret":"state"}', header: { jti: 'abc', alg: 'dir', enc: 'A256GCM', kid: expect.any(String) } });
  });

  it('still opens a value sealed before the base62 wire format (the compact JWE itself), for the transition', async () => {
    const { sealer } = setup();
    const s = sealer();
    const sealed = await s.seal('in flight', { jti: 'abc' });
    const compact = fromWire(sealed)!;
    expect(compact).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(toWire(compact)).toBe(sealed);
    expect((await s.open(compact))?.payload).toBe('in flight');
    expect(visibleHeader(compact)).toMatchObject({ jti: 'abc' });
  });

  it('refuses anything tampered, forged, or sealed by another deployment', async () => {
    const { sealer } = setup();
    const s = sealer();
    const sealed = await s.seal('payload', { jti: 'abc' });
    const [header, , iv, ciphertext, tag] = fromWire(sealed)!.split('.');
    const flip = (part: string) => (part[0] === 'A' ? 'B' : 'A') + part.slice(1);
    for (const forged of [
      `${header}..${iv}.${flip(ciphertext!)}.${tag}`,
      `${header}..${iv}.${ciphertext}.${flip(tag!)}`,
      `${header}..${flip(iv!)}.${ciphertext}.${tag}`,
      // The visible header is covered by the tag: another jti is refused.
      `${Buffer.from(JSON.stringify({ ...visibleHeader(sealed), jti: 'other' })).toString('base64url')}..${iv}.${ciphertext}.${tag}`,
    ]) {
      expect(await s.open(forged), forged).toBeNull();
      expect(await s.open(toWire(forged)), 'the same, base62').toBeNull();
    }
    // Malformed wire values: wrong prefix, truncated, impossible base62 lengths, overflowing blocks, other alphabets.
    for (const malformed of [
      'not-a-jwe',
      '',
      'a.b.c.d.e',
      'j',
      'jA',
      sealed.slice(1),
      `x${sealed.slice(1)}`,
      sealed.slice(0, -1),
      sealed.slice(0, 30),
      `${sealed}-`,
      'jzzzzzzzzzzz',
      `j${'0'.repeat(11)}`,
    ]) {
      expect(await s.open(malformed), malformed).toBeNull();
    }
    expect(await setup().sealer().open(sealed)).toBeNull(); // another store: other keys
  });

  it('two instances on one store share the keys', async () => {
    const { sealer } = setup();
    const [a, b] = [sealer(), sealer()];
    expect((await b.open(await a.seal('from a')))?.payload).toBe('from a');
    expect((await a.open(await b.seal('from b')))?.payload).toBe('from b');
  });

  it('rotates daily; a retired key still opens for the retention time, then no more', async () => {
    const { clock, sealer } = setup();
    const s = sealer();
    const old = await s.seal('old');
    clock.advance(DAY + 1);
    const fresh = await s.seal('fresh');
    expect(visibleHeader(fresh)?.kid).not.toBe(visibleHeader(old)?.kid);
    expect((await s.open(old))?.payload).toBe('old');
    // Another instance that loaded the set before the rotation learns the new key when it meets it.
    expect((await sealer().open(fresh))?.payload).toBe('fresh');
    clock.advance(DAY + RETAIN + 1);
    await s.seal('newest'); // the next rotation drops keys older than rotation + retention
    expect(await sealer().open(old)).toBeNull();
    expect((await sealer().open(fresh))?.payload).toBe('fresh');
  });
});
