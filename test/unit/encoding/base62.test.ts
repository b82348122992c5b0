/**
 * The base62 codec against a plain BigInt reference of the same block format (8 bytes → 11 characters, shorter final
 * block): same text for every byte string, round trips, and exactly one accepted encoding per byte string.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase62, encodeBase62 } from '../../../src/encoding/base62.ts';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CHARS_FOR = [0, 2, 3, 5, 6, 7, 9, 10, 11];

function referenceEncode(bytes: Uint8Array): string {
  let out = '';
  for (let start = 0; start < bytes.length; start += 8) {
    const block = bytes.subarray(start, start + 8);
    let value = 0n;
    for (const byte of block) value = (value << 8n) | BigInt(byte);
    let chars = '';
    for (let i = 0; i < CHARS_FOR[block.length]!; i++) {
      chars = ALPHABET[Number(value % 62n)]! + chars;
      value /= 62n;
    }
    out += chars;
  }
  return out;
}

describe('base62', () => {
  it('encodes exactly like the BigInt reference and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = encodeBase62(bytes);
        expect(text).toBe(referenceEncode(bytes));
        expect(decodeBase62(text)).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('handles the extremes of a block (all zero, all 0xff)', () => {
    for (let n = 0; n <= 17; n++) {
      for (const fill of [0, 0xff]) {
        const bytes = new Uint8Array(n).fill(fill);
        expect(encodeBase62(bytes)).toBe(referenceEncode(bytes));
        expect(decodeBase62(encodeBase62(bytes))).toEqual(bytes);
      }
    }
  });

  it('refuses what no byte string encodes to: overflowing blocks, impossible lengths, other characters', () => {
    expect(decodeBase62('zzzzzzzzzzz')).toBeUndefined(); // 62^11 - 1 > 2^64 - 1
    expect(decodeBase62('LygHa16AHYF')).toEqual(new Uint8Array(8).fill(0xff)); // 2^64 - 1 is the largest block
    expect(decodeBase62('LygHa16AHYG')).toBeUndefined(); // 2^64
    expect(decodeBase62('47')).toEqual(new Uint8Array([0xff])); // 255
    expect(decodeBase62('48')).toBeUndefined(); // 256 does not fit one byte
    expect(decodeBase62('0')).toBeUndefined(); // no block has 1 character
    expect(decodeBase62('ab-c')).toBeUndefined();
    expect(decodeBase62('abé')).toBeUndefined();
    expect(decodeBase62('01é')).toBeUndefined(); // digits are read in pairs: '1' then a non-digit is no pair
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(), fc.constantFrom('-', '_', '.', '=', 'é', '\0', '{'), (bytes, at, bad) => {
        const text = encodeBase62(bytes);
        const i = at % text.length;
        // Any one character replaced by something outside the alphabet: nothing is decoded.
        expect(decodeBase62(text.slice(0, i) + bad + text.slice(i + 1))).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 60 }), (text) => {
        const bytes = decodeBase62(text);
        // Whatever is accepted is the one encoding of its bytes.
        if (bytes !== undefined) expect(encodeBase62(bytes)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });
});
