import { base64url, CompactEncrypt, compactDecrypt, type CompactJWEHeaderParameters } from 'jose';
import type { Clock } from '../clock.ts';
import { nodeAesGcm, randomBytes, randomToken, type AesGcm, type AesGcmKey } from '../crypto.ts';
import type { Store } from '../storage/port.ts';
import { packWire, readWire, toWire, type WireValue } from './sealed-wire.ts';

const STORE_KEY = 'sealing-keys';
const DAY_MS = 24 * 60 * 60 * 1000;
/** An unknown kid makes an instance re-read the key set, at most this often (it may be a forgery). */
const RELOAD_COOLDOWN_MS = 10_000;
const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();
/** What every sealed value's protected header starts with; `visible` fields and the kid follow. */
const ALG = { alg: 'dir', enc: 'A256GCM' } as const;

interface StoredKey {
  kid: string;
  /** base64url of 32 random bytes (A256GCM). */
  k: string;
  createdAt: number;
}

export interface Sealer {
  /**
   * Authenticated encryption (JWE `dir` + A256GCM) of `payload` with the active key, as an alphanumeric string
   * (sealed-wire.ts: the compact JWE in base62, which WAF rules do not flag).
   * `visible` goes into the protected header: readable by anyone, covered by the authentication tag.
   */
  seal(payload: string, visible?: Record<string, string>): Promise<string>;
  /**
   * The payload and the readable header (with the `visible` fields it was sealed with), or null when the value is
   * malformed, forged, or sealed with a key that has been retired.
   */
  open(sealed: string): Promise<Opened | null>;
}

export interface Opened {
  payload: string;
  header: Record<string, unknown>;
}

/**
 * Keys for values the bridge hands out and must get back unchanged (the pending auth request, carried in
 * `authRequestID`, so that unauthenticated requests store nothing). The key set lives in the store, so every
 * instance seals and opens with the same keys; it rotates by itself: a new key every `rotateAfterMs`, and a retired
 * key still opens what it sealed for `retainMs` more (at least the auth request lifetime).
 */
export function createSealer(input: {
  store: Store;
  clock: Clock;
  retainMs: number;
  rotateAfterMs?: number;
  /** Node's AES-GCM (the default on Node), or null for jose and Web Crypto (Workers; tests compare the two). */
  aesGcm?: AesGcm | null;
}): Sealer {
  const { store, clock } = input;
  const aesGcm = input.aesGcm === undefined ? nodeAesGcm : (input.aesGcm ?? undefined);
  const rotateAfterMs = input.rotateAfterMs ?? DAY_MS;
  let cached: { keys: { kid: string; cipher: KeyCipher; createdAt: number }[]; checkedAt: number } | undefined;
  /**
   * Prepared once per key (an importKey per seal and open was a Web Crypto round trip on every login step): Node's
   * AES-GCM with a KeyObject, else jose with a CryptoKey.
   */
  const ciphers = new Map<string, Promise<KeyCipher>>();
  const cipherFor = (k: StoredKey) => {
    let cipher = ciphers.get(k.k);
    if (!cipher) {
      const raw = base64url.decode(k.k);
      cipher = aesGcm
        ? new Promise<KeyCipher>((prepared) => prepared(nodeCipher(aesGcm, aesGcm.importKey(raw))))
        : crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']).then(joseCipher);
      cipher.catch(() => ciphers.delete(k.k)); // a failed import is tried again next time, not remembered
      ciphers.set(k.k, cipher);
    }
    return cipher;
  };
  let loading: Promise<NonNullable<typeof cached>> | undefined;

  const decode = (raw: string | null): StoredKey[] => (raw ? (JSON.parse(raw) as StoredKey[]) : []);

  /** Reads the set; adds a key when it has none or its newest is due (compare-and-swap: one instance wins). */
  async function load(): Promise<NonNullable<typeof cached>> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const raw = await store.get(STORE_KEY);
      const now = clock.now();
      const current = decode(raw);
      if (current.length && now - current[0]!.createdAt < rotateAfterMs) return toCache(current, now);
      const kept = current.filter((key, i) => i === 0 || now - key.createdAt < rotateAfterMs + input.retainMs);
      const next = JSON.stringify([{ kid: randomToken(6), k: base64url.encode(randomBytes(32)), createdAt: now }, ...kept]);
      const written = raw === null ? await store.setIfAbsent(STORE_KEY, next) : await store.compareAndSwap(STORE_KEY, raw, next);
      if (written) return toCache(decode(next), now);
    }
    return toCache(decode(await store.get(STORE_KEY)), clock.now());
  }

  async function toCache(keys: StoredKey[], now: number) {
    const entries = await Promise.all(keys.map(async (k) => ({ kid: k.kid, cipher: await cipherFor(k), createdAt: k.createdAt })));
    for (const k of ciphers.keys()) if (!keys.some((stored) => stored.k === k)) ciphers.delete(k); // retired keys
    cached = { keys: entries, checkedAt: now };
    return cached;
  }

  async function keys(force = false) {
    const now = clock.now();
    const stale = !cached || cached.keys.length === 0 || now - cached.keys[0]!.createdAt >= rotateAfterMs;
    if (!force && !stale) return cached!;
    if (force && cached && now - cached.checkedAt < RELOAD_COOLDOWN_MS) return cached;
    loading ??= load().finally(() => {
      loading = undefined;
    });
    return loading;
  }

  return {
    async seal(payload, visible = {}) {
      const { kid, cipher } = (await keys()).keys[0]!;
      return cipher.seal(utf8Encoder.encode(payload), { ...visible, ...ALG, kid });
    },

    async open(sealed) {
      const wire = readWire(sealed);
      const kid = wire?.header.kid;
      if (!wire || typeof kid !== 'string') return null;
      let entry = (await keys()).keys.find((k) => k.kid === kid);
      entry ??= (await keys(true)).keys.find((k) => k.kid === kid);
      if (!entry) return null;
      const plaintext = await entry.cipher.open(wire);
      return plaintext ? { payload: utf8.decode(plaintext), header: wire.header } : null;
    },
  };
}

/** One sealing key, prepared once for the AES-GCM in use: sealing writes the wire form, opening reads it. */
interface KeyCipher {
  seal(plaintext: Uint8Array, header: CompactJWEHeaderParameters): Promise<string>;
  /** The plaintext, or undefined when the value does not authenticate under this key. */
  open(wire: WireValue): Promise<Uint8Array | undefined>;
}

/** Node's AES-GCM writing the compact JWE jose would (RFC 7516 §5.1: the additional data is the encoded header). */
function nodeCipher(aesGcm: AesGcm, key: AesGcmKey): KeyCipher {
  return {
    async seal(plaintext, header) {
      const headerBytes = utf8Encoder.encode(JSON.stringify(header));
      const encodedHeader = base64url.encode(headerBytes);
      const iv = randomBytes(12);
      const { ciphertext, tag } = aesGcm.encrypt(key, iv, utf8Encoder.encode(encodedHeader), plaintext);
      return packWire({ encodedHeader, iv, tag, ciphertext }, headerBytes);
    },
    async open(wire) {
      // What jose checks of a `dir` JWE's header before it decrypts (RFC 7516 §5.2): its algorithms, nothing it cannot honour.
      const { header } = wire;
      if (header.alg !== ALG.alg || header.enc !== ALG.enc || 'zip' in header || 'crit' in header) return undefined;
      return aesGcm.decrypt(key, wire.iv, utf8Encoder.encode(wire.encodedHeader), wire.ciphertext, wire.tag);
    },
  };
}

/** jose on Web Crypto (Workers, and tests comparing the two). */
function joseCipher(key: CryptoKey): KeyCipher {
  return {
    async seal(plaintext, header) {
      return toWire(await new CompactEncrypt(plaintext).setProtectedHeader(header).encrypt(key));
    },
    async open(wire) {
      try {
        return (await compactDecrypt(wire.compact, key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] })).plaintext;
      } catch {
        return undefined;
      }
    },
  };
}
