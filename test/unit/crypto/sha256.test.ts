import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { safeEqual, sha256 } from '../../../src/crypto.ts';

async function webCryptoSha256(value: string): Promise<string> {
  return Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value))).toString('base64url');
}

describe('sha256 (Node fast path) gives exactly the Web Crypto digest', () => {
  it('matches the FIPS 180-2 vector and Web Crypto, for ASCII and non-ASCII input', async () => {
    expect(await sha256('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    for (const value of ['', 'abc', 'é ü 日本 🙂', 'x'.repeat(10_000), '\u0000\uffff']) {
      expect(await sha256(value)).toBe(await webCryptoSha256(value));
      expect(await sha256(value)).toBe(createHash('sha256').update(value, 'utf8').digest('base64url'));
    }
  });

  it('safeEqual still compares by digest', async () => {
    expect(await safeEqual('secret-value', 'secret-value')).toBe(true);
    expect(await safeEqual('secret-value', 'secret-valuf')).toBe(false);
    expect(await safeEqual('short', 'a-much-longer-value')).toBe(false);
  });
});

describe('randomToken', () => {
  it('gives lowercase hex of the requested number of random bytes, never twice the same', async () => {
    const { randomToken, TOKEN_PATTERN } = await import('../../../src/crypto.ts');
    const tokens = new Set(Array.from({ length: 1000 }, () => randomToken()));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) expect(token).toMatch(TOKEN_PATTERN);
    expect(randomToken(16)).toMatch(/^[0-9a-f]{32}$/);
    expect(Buffer.from(randomToken(16), 'hex')).toHaveLength(16);
  });
});

describe('randomBytes', () => {
  it('hands out fresh bytes across pool refills, each call its own copy', async () => {
    const { randomBytes, randomToken } = await import('../../../src/crypto.ts');
    const seen = new Set<string>();
    // 300 × 32 bytes crosses the 4 KiB pool twice; mixed with tokens that take from the same pool.
    for (let i = 0; i < 300; i++) {
      const bytes = randomBytes(32);
      expect(bytes).toHaveLength(32);
      const hex = Buffer.from(bytes).toString('hex');
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
      const token = randomToken(32);
      expect(seen.has(token)).toBe(false);
      seen.add(token);
      bytes.fill(0); // a caller's change never reaches the pool or later values
    }
    expect(Buffer.from(randomBytes(32)).toString('hex')).not.toBe('0'.repeat(64));
    expect(randomBytes(5000)).toHaveLength(5000); // larger than the pool: straight from the CSPRNG
  });
});
