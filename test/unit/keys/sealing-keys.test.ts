/**
 * The sealing keys behind the authRequestID (src/keys/sealing-keys.ts): authenticated encryption, shared by every
 * instance on one store, rotating by themselves, with a retired key still opening what it sealed for a while.
 */
import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/clock.ts';
import { nodeAesGcm } from '../../../src/crypto.ts';
import { fromWire, toWire, visibleHeader } from '../../../src/keys/sealed-wire.ts';
import { createSealer } from '../../../src/keys/sealing-keys.ts';
import { createMemoryStore } from '../../../src/storage/memory.ts';

const DAY = 24 * 60 * 60 * 1000;
const RETAIN = 10 * 60 * 1000;

function setup() {
  const clock = createManualClock(Date.UTC(2026, 11, 1));
  const store = createMemoryStore({ clock });
  return {
    clock,
    store,
    sealer: () => createSealer({ store, clock, retainMs: RETAIN }),
    /** jose on Web Crypto, as on Workers. */
    joseSealer: () => createSealer({ store, clock, retainMs: RETAIN, aesGcm: null }),
  };
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

  it('seals and opens with Node AES-GCM on Node and the same JWE jose writes and reads (Workers)', async () => {
    expect(nodeAesGcm, 'Node is the default').toBeDefined();
    const { sealer, joseSealer } = setup();
    const [node, jose] = [sealer(), joseSealer()];
    for (const payload of ['{"state":"ü ✓ 漢字"}', 'x', 'x'.repeat(5000)]) {
      expect((await jose.open(await node.seal(payload, { jti: 'n' })))?.payload, 'Node sealed, jose opens').toBe(payload);
      expect((await node.open(await jose.seal(payload, { jti: 'j' })))?.payload, 'jose sealed, Node opens').toBe(payload);
      expect((await node.open(fromWire(await jose.seal(payload))!))?.payload, 'compact form').toBe(payload);
    }
    const header = visibleHeader(await node.seal('p', { jti: 'abc' }));
    expect(Object.keys(header!), 'the header jose writes, in its order').toEqual(Object.keys(visibleHeader(await jose.seal('p', { jti: 'abc' }))!));
  });

  it('refuses a value whose authenticated header names other algorithms or a compression, as jose would', async () => {
    const { store, sealer, joseSealer } = setup();
    const s = sealer();
    const kid = visibleHeader(await s.seal('warm'))!.kid as string;
    const { k } = (JSON.parse((await store.get('sealing-keys'))!) as { k: string }[])[0]!;
    // Sealed with the real key, so only the header check can refuse it.
    const sealWith = (header: Record<string, unknown>) => {
      const encoded = Buffer.from(JSON.stringify({ ...header, kid })).toString('base64url');
      const iv = Buffer.alloc(12, 7);
      const cipher = createCipheriv('aes-256-gcm', Buffer.from(k, 'base64url'), iv).setAAD(Buffer.from(encoded));
      const ciphertext = Buffer.concat([cipher.update('payload'), cipher.final()]);
      return toWire(`${encoded}..${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`);
    };
    expect((await s.open(sealWith({ alg: 'dir', enc: 'A256GCM' })))?.payload, 'the control').toBe('payload');
    for (const header of [
      { alg: 'dir', enc: 'A256GCM', zip: 'DEF' },
      { alg: 'dir', enc: 'A256GCM', crit: ['exp'], exp: 1 },
      { alg: 'A256KW', enc: 'A256GCM' },
      { alg: 'dir', enc: 'A128GCM' },
      { enc: 'A256GCM' },
    ]) {
      expect(await s.open(sealWith(header)), JSON.stringify(header)).toBeNull();
      expect(await joseSealer().open(sealWith(header)), `jose: ${JSON.stringify(header)}`).toBeNull();
    }
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
