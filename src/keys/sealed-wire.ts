import { base64url } from 'jose';
import { decodeBase62, encodeBase62 } from '../encoding/base62.ts';

/**
 * How a sealed value (a compact JWE, `dir` + A256GCM) travels: `j` followed by base62 of its binary parts, so it holds
 * only `[0-9A-Za-z]` and a WAF finds nothing in it to flag (a compact JWE's base64url parts contain `--`, `-_-` ... at
 * random: OWASP CRS 942440/942432/942421). The leading letter keeps 942450's `\b0x…` from matching at the start.
 *
 *   j + base62( headerLength (2 bytes, big-endian) ‖ protected header (JSON) ‖ iv (12) ‖ tag (16) ‖ ciphertext )
 *
 * The same bytes as the compact form (the authenticated header is re-encoded exactly as jose wrote it, base64url
 * being canonical), so nothing changes in what is encrypted or authenticated, and the length stays within 3 % of it.
 */
const PREFIX = 'j';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const WIRE = /^j[0-9A-Za-z]+$/;
/** A compact JWE with an empty encrypted key (`dir`), as jose produces it: how values were sent before base62. */
const COMPACT_DIR = /^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The parts of a sealed value (a compact `dir` JWE), decoded. */
export interface WireParts {
  /** The protected header as the JWE encodes it (base64url of its JSON): the AES-GCM additional data. */
  encodedHeader: string;
  iv: Uint8Array;
  tag: Uint8Array;
  ciphertext: Uint8Array;
}

export interface WireValue extends WireParts {
  /** Its readable (authenticated, not encrypted) protected header. Not verified. */
  header: Record<string, unknown>;
  /** The compact JWE (built when asked for). */
  readonly compact: string;
}

/** The wire form of a sealed value from its parts; `headerBytes` is the protected header's JSON, if already at hand. */
export function packWire(parts: WireParts, headerBytes: Uint8Array = base64url.decode(parts.encodedHeader)): string {
  const packed = new Uint8Array(2 + headerBytes.length + IV_BYTES + TAG_BYTES + parts.ciphertext.length);
  packed[0] = headerBytes.length >> 8;
  packed[1] = headerBytes.length & 0xff;
  let offset = 2;
  for (const part of [headerBytes, parts.iv, parts.tag, parts.ciphertext]) {
    packed.set(part, offset);
    offset += part.length;
  }
  return PREFIX + encodeBase62(packed);
}

export function toWire(compact: string): string {
  const [header, key, iv, ciphertext, tag] = compact.split('.') as [string, string, string, string, string];
  if (key !== '') throw new Error('only dir JWEs are sealed');
  return packWire({ encodedHeader: header, iv: base64url.decode(iv), tag: base64url.decode(tag), ciphertext: base64url.decode(ciphertext) });
}

function wireValue(parts: WireParts, header: Record<string, unknown>): WireValue {
  const { encodedHeader, iv, tag, ciphertext } = parts;
  return {
    ...parts,
    header,
    get compact() {
      return `${encodedHeader}..${base64url.encode(iv)}.${base64url.encode(ciphertext)}.${base64url.encode(tag)}`;
    },
  };
}

/**
 * A wire value decoded once: its parts and readable header; undefined when it is neither a wire value nor a compact
 * `dir` JWE. A compact JWE as such is accepted too: values sealed before the base62 wire format (an auth request in
 * flight during the upgrade lives at most its TTL).
 */
export function readWire(wire: string): WireValue | undefined {
  if (COMPACT_DIR.test(wire)) {
    const [encodedHeader, , iv, ciphertext, tag] = wire.split('.') as [string, string, string, string, string];
    const header = parseHeader(() => base64url.decode(encodedHeader));
    if (!header) return undefined;
    try {
      const value = wireValue({ encodedHeader, iv: base64url.decode(iv), tag: base64url.decode(tag), ciphertext: base64url.decode(ciphertext) }, header);
      return value.iv.length === IV_BYTES && value.tag.length === TAG_BYTES ? value : undefined;
    } catch {
      return undefined;
    }
  }
  if (!WIRE.test(wire)) return undefined;
  const packed = decodeBase62(wire.slice(PREFIX.length));
  if (!packed || packed.length < 2) return undefined;
  const headerLength = (packed[0]! << 8) | packed[1]!;
  const ivStart = 2 + headerLength;
  const tagStart = ivStart + IV_BYTES;
  const ciphertextStart = tagStart + TAG_BYTES;
  if (headerLength === 0 || packed.length <= ciphertextStart) return undefined;
  const headerBytes = packed.subarray(2, ivStart);
  const header = parseHeader(() => headerBytes);
  if (!header) return undefined;
  const parts = {
    encodedHeader: base64url.encode(headerBytes),
    iv: packed.subarray(ivStart, tagStart),
    tag: packed.subarray(tagStart, ciphertextStart),
    ciphertext: packed.subarray(ciphertextStart),
  };
  return wireValue(parts, header);
}

const utf8 = new TextDecoder();

function parseHeader(bytes: () => Uint8Array): Record<string, unknown> | undefined {
  try {
    const header: unknown = JSON.parse(utf8.decode(bytes()));
    return header !== null && typeof header === 'object' && !Array.isArray(header) ? (header as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The compact JWE a wire value stands for, or undefined when it is none. */
export function fromWire(wire: string): string | undefined {
  return readWire(wire)?.compact;
}

/** The readable (authenticated, not encrypted) header of a wire value; undefined when it is not one. Not verified. */
export function visibleHeader(wire: string): Record<string, unknown> | undefined {
  return readWire(wire)?.header;
}
