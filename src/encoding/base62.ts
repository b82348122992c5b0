/**
 * Base62 (`0-9A-Za-z`) for binary values that travel in URLs, cookies and forms. WAF rule sets (OWASP CRS) score
 * `-`, `_` and their runs as SQL comment or "special character" anomalies at higher paranoia levels; an alphanumeric
 * value gives them nothing to match. Encoded in blocks of 8 bytes → 11 characters (62^11 > 2^64), so the work is
 * linear and the output only 3 % longer than base64url; a final block of n < 8 bytes takes the fewest characters that
 * hold 256^n values. Decoding is strict: one encoding per byte string (no overflowing or impossible block lengths).
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BLOCK_BYTES = 8;
const BLOCK_CHARS = 11;
/** Characters needed for a block of n bytes (index n), and back. */
const CHARS_FOR = [0, 2, 3, 5, 6, 7, 9, 10, 11] as const;
const BYTES_FOR = new Map<number, number>(CHARS_FOR.map((chars, bytes) => [chars, bytes]));
/** Digit value by char code; -1 for anything that is not a base62 digit. */
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT[ALPHABET.charCodeAt(i)] = i;
const TWO_32 = 2 ** 32;

/*
 * A block is a number below 2^64, held as two 32-bit halves (hi, lo) so that all arithmetic stays exact in doubles:
 * dividing by 62 goes half by half (the remainder of hi, times 2^32, plus lo is below 62 · 2^32 < 2^53), and so does
 * multiplying by 62. BigInt would do the same work several times slower, on the login path.
 */

export function encodeBase62(bytes: Uint8Array): string {
  let out = '';
  const digits: string[] = [];
  for (let start = 0; start < bytes.length; start += BLOCK_BYTES) {
    const end = Math.min(start + BLOCK_BYTES, bytes.length);
    let hi = 0;
    let lo = 0;
    for (let i = start; i < end; i++) {
      // (hi, lo) · 256 + byte, carrying the top byte of lo into hi.
      const next = lo * 256 + bytes[i]!;
      lo = next % TWO_32;
      hi = hi * 256 + Math.floor(next / TWO_32);
    }
    const count = CHARS_FOR[end - start]!;
    for (let i = count - 1; i >= 0; i--) {
      const rest = (hi % 62) * TWO_32 + lo;
      hi = Math.floor(hi / 62);
      lo = Math.floor(rest / 62);
      digits[i] = ALPHABET[rest % 62]!;
    }
    digits.length = count;
    out += digits.join('');
  }
  return out;
}

/** The bytes, or undefined when `text` is not a base62 encoding made by {@link encodeBase62}. */
export function decodeBase62(text: string): Uint8Array | undefined {
  const fullBlocks = Math.floor(text.length / BLOCK_CHARS);
  const tailChars = text.length % BLOCK_CHARS;
  const tailBytes = BYTES_FOR.get(tailChars);
  if (tailBytes === undefined) return undefined;
  const out = new Uint8Array(fullBlocks * BLOCK_BYTES + tailBytes);
  for (let block = 0; block * BLOCK_CHARS < text.length; block++) {
    const from = block * BLOCK_CHARS;
    const to = Math.min(from + BLOCK_CHARS, text.length);
    const size = block < fullBlocks ? BLOCK_BYTES : tailBytes;
    let hi = 0;
    let lo = 0;
    for (let i = from; i < to; i++) {
      const code = text.charCodeAt(i);
      const digit = code < 128 ? DIGIT[code]! : -1;
      if (digit < 0) return undefined;
      const next = lo * 62 + digit;
      lo = next % TWO_32;
      hi = hi * 62 + Math.floor(next / TWO_32);
      // Past 2^64 (hi ≥ 2^32) no block is valid; stop before the doubles lose exactness.
      if (hi >= TWO_32) return undefined;
    }
    // One encoding per byte string: the value must fit the block's byte count.
    if (size <= 4 ? hi !== 0 || lo >= 2 ** (8 * size) : hi >= 2 ** (8 * (size - 4))) return undefined;
    for (let i = size - 1; i >= 0; i--) {
      if (i >= size - 4) {
        out[block * BLOCK_BYTES + i] = lo % 256;
        lo = Math.floor(lo / 256);
      } else {
        out[block * BLOCK_BYTES + i] = hi % 256;
        hi = Math.floor(hi / 256);
      }
    }
  }
  return out;
}
