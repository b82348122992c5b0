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
const VALUE_OF = new Map<string, bigint>([...ALPHABET].map((char, i) => [char, BigInt(i)]));
const BASE = 62n;

export const BASE62_PATTERN = /^[0-9A-Za-z]*$/;

export function encodeBase62(bytes: Uint8Array): string {
  let out = '';
  for (let start = 0; start < bytes.length; start += BLOCK_BYTES) {
    const block = bytes.subarray(start, start + BLOCK_BYTES);
    let value = 0n;
    for (const byte of block) value = (value << 8n) | BigInt(byte);
    let chars = '';
    for (let i = 0; i < CHARS_FOR[block.length]!; i++) {
      chars = ALPHABET[Number(value % BASE)]! + chars;
      value /= BASE;
    }
    out += chars;
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
  for (let block = 0; block <= fullBlocks; block++) {
    const chars = text.slice(block * BLOCK_CHARS, (block + 1) * BLOCK_CHARS);
    if (chars.length === 0) break;
    const size = block < fullBlocks ? BLOCK_BYTES : tailBytes;
    let value = 0n;
    for (const char of chars) {
      const digit = VALUE_OF.get(char);
      if (digit === undefined) return undefined;
      value = value * BASE + digit;
    }
    if (value >> BigInt(size * 8) !== 0n) return undefined;
    for (let i = size - 1; i >= 0; i--) {
      out[block * BLOCK_BYTES + i] = Number(value & 0xffn);
      value >>= 8n;
    }
  }
  return out;
}
