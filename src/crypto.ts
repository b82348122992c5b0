import { base64url } from 'jose';

const encoder = new TextEncoder();

interface GcmContext {
  setAAD(aad: Uint8Array): unknown;
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
}

interface NodeCrypto {
  createHash(algorithm: 'sha256'): { update(value: string, encoding: 'utf8'): { digest(encoding: 'base64url'): string } };
  randomBytes(size: number): Uint8Array & { toString(encoding: 'hex', start?: number, end?: number): string };
  createSecretKey(key: Uint8Array): AesGcmKey;
  createCipheriv(algorithm: 'aes-256-gcm', key: AesGcmKey, iv: Uint8Array): GcmContext & { getAuthTag(): Uint8Array };
  createDecipheriv(algorithm: 'aes-256-gcm', key: AesGcmKey, iv: Uint8Array): GcmContext & { setAuthTag(tag: Uint8Array): unknown };
}

/**
 * On Node, its built-in crypto: the same SHA-256 and the same CSPRNG, without the per-call cost of Web Crypto's
 * argument checks and jobs (the bench profile put `crypto.subtle.digest` at ~10% of a login's CPU). Looked up at run
 * time, so the Worker bundle imports nothing from Node; Workers (and anything without `process.getBuiltinModule`) use
 * Web Crypto.
 */
const nodeCrypto = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('crypto') as NodeCrypto | undefined;

/*
 * Node's CSPRNG is read 4 KiB at a time and handed out in slices, each byte once (Node does the same for randomUUID):
 * one randomBytes call costs a few microseconds however small, and under load the bench profile had the per-token
 * calls as the bridge's top frame (8 % of its CPU at /authorize). Values are still 256 bits of CSPRNG output each.
 */
const POOL_BYTES = 4096;
let pool: ReturnType<NodeCrypto['randomBytes']> | undefined;
let poolOffset = POOL_BYTES;

/** Where the next `count` fresh bytes are in the pool (Node only; `count` ≤ POOL_BYTES). */
function takeFromPool(crypto: NodeCrypto, count: number): { bytes: ReturnType<NodeCrypto['randomBytes']>; start: number } {
  if (!pool || poolOffset + count > POOL_BYTES) {
    pool = crypto.randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += count;
  return { bytes: pool, start };
}

/** `count` random bytes (a copy): Node's CSPRNG when available (nodeCrypto), else Web Crypto, so it runs on Node and Workers. */
export function randomBytes(count: number): Uint8Array {
  if (!nodeCrypto || count > POOL_BYTES) return crypto.getRandomValues(new Uint8Array(count));
  const { bytes, start } = takeFromPool(nodeCrypto, count);
  return bytes.slice(start, start + count);
}

/**
 * Lowercase hex of `bytes` random bytes (default 32 = 256 bits): every random value the bridge sends through a
 * browser or a form (codes, completion values, the binding cookie, refresh and device codes). Hex is what a WAF never
 * flags: base64url's `-`/`_` runs trip OWASP CRS SQL rules (942440 on `--`, 942432/942421 on two or three specials,
 * at paranoia levels 2-4); `[0-9a-f]` holds no `x` (942450's `0x…`) and no letters beyond `f` (933150's PHP names).
 */
export function randomToken(bytes = 32): string {
  if (nodeCrypto && bytes <= POOL_BYTES) {
    const taken = takeFromPool(nodeCrypto, bytes);
    return taken.bytes.toString('hex', taken.start, taken.start + bytes);
  }
  let out = '';
  for (const byte of randomBytes(bytes)) out += byte.toString(16).padStart(2, '0');
  return out;
}

/** A key prepared for AesGcm (on Node a KeyObject: preparing raw bytes on every call tripled the cost). */
export type AesGcmKey = { readonly type: 'secret' };

/** AES-256-GCM with a 96-bit IV and a 128-bit tag, synchronous. */
export interface AesGcm {
  importKey(raw: Uint8Array): AesGcmKey;
  encrypt(key: AesGcmKey, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): { ciphertext: Uint8Array; tag: Uint8Array };
  /** The plaintext, or undefined when the tag does not authenticate the ciphertext and the AAD under this key. */
  decrypt(key: AesGcmKey, iv: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Uint8Array | undefined;
}

/**
 * Node's AES-256-GCM (OpenSSL), undefined elsewhere. The bridge's own sealed values go through it on Node: a Web Crypto
 * AES-GCM call cost ~70 µs of main-thread time before its thread-pool job even started (argument conversion, job
 * and promise), ~7 µs here for the whole operation; a login seals once and opens twice. Workers use jose (Web Crypto).
 */
export const nodeAesGcm: AesGcm | undefined = nodeCrypto && {
  importKey: (raw) => nodeCrypto.createSecretKey(raw),
  encrypt(key, iv, aad, plaintext) {
    const cipher = nodeCrypto.createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad);
    const head = cipher.update(plaintext);
    const tail = cipher.final();
    const ciphertext = tail.length === 0 ? head : concatBytes(head, tail);
    return { ciphertext, tag: cipher.getAuthTag() };
  },
  decrypt(key, iv, aad, ciphertext, tag) {
    if (tag.length !== 16) return undefined; // GCM would accept a truncated tag
    try {
      const decipher = nodeCrypto.createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      const head = decipher.update(ciphertext);
      const tail = decipher.final(); // throws when the tag does not match
      return tail.length === 0 ? head : concatBytes(head, tail);
    } catch {
      return undefined; // also an IV or key of the wrong size: nothing opens
    }
  },
};

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** base64url(SHA-256(value)): how codes, completion values and binding cookies are stored and compared. */
export async function sha256(value: string): Promise<string> {
  if (nodeCrypto) return nodeCrypto.createHash('sha256').update(value, 'utf8').digest('base64url');
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(value))));
}

/**
 * Constant-time comparison of two secrets. Both sides are hashed first so that neither the content
 * nor the length of the expected value leaks through timing.
 */
export async function safeEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([sha256(a), sha256(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x.charCodeAt(i) ^ y.charCodeAt(i);
  return diff === 0;
}

/** The shape of every 256-bit value the bridge mints (codes, completion values, binding cookies): 64 hex digits. */
export const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The shape the same values had before they became hex (43 base64url characters). Accepted only where a value issued
 * before the upgrade can still arrive: a code or binding cookie of a sign-in in flight. Never minted any more.
 */
export const LEGACY_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
