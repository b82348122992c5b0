import { base64url, CompactEncrypt, compactDecrypt } from 'jose';
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
  let cached: { keys: { kid: string; key: CryptoKey; nodeKey: AesGcmKey | undefined; createdAt: number }[]; checkedAt: number } | undefined;
  /** Imported once per key (an importKey per seal and open was a Web Crypto round trip on every login step). */
  const imported = new Map<string, Promise<CryptoKey>>();
  const importKey = (k: StoredKey) => {
    let key = imported.get(k.k);
    if (!key) {
      key = crypto.subtle.importKey('raw', base64url.decode(k.k) as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']);
      key.catch(() => imported.delete(k.k)); // a failed import is tried again next time, not remembered
      imported.set(k.k, key);
    }
    return key;
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
    const entries = await Promise.all(
      keys.map(async (k) => ({ kid: k.kid, key: await importKey(k), nodeKey: aesGcm?.importKey(base64url.decode(k.k)), createdAt: k.createdAt })),
    );
    for (const k of imported.keys()) if (!keys.some((stored) => stored.k === k)) imported.delete(k); // retired keys
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
      const { kid, key, nodeKey } = (await keys()).keys[0]!;
      const header = { ...visible, ...ALG, kid };
      if (!aesGcm || !nodeKey) {
        const compact = await new CompactEncrypt(utf8Encoder.encode(payload)).setProtectedHeader(header).encrypt(key);
        return toWire(compact);
      }
      // The compact JWE jose would write (RFC 7516 §5.1): the additional data is the encoded protected header.
      const headerBytes = utf8Encoder.encode(JSON.stringify(header));
      const encodedHeader = base64url.encode(headerBytes);
      const iv = randomBytes(12);
      const { ciphertext, tag } = aesGcm.encrypt(nodeKey, iv, utf8Encoder.encode(encodedHeader), utf8Encoder.encode(payload));
      return packWire({ encodedHeader, iv, tag, ciphertext }, headerBytes);
    },

    async open(sealed) {
      const wire = readWire(sealed);
      const kid = wire?.header.kid;
      if (!wire || typeof kid !== 'string') return null;
      let entry = (await keys()).keys.find((k) => k.kid === kid);
      entry ??= (await keys(true)).keys.find((k) => k.kid === kid);
      if (!entry) return null;
      const plaintext = aesGcm && entry.nodeKey ? openWithNode(aesGcm, wire, entry.nodeKey) : await openWithJose(wire, entry.key);
      return plaintext ? { payload: utf8.decode(plaintext), header: wire.header } : null;
    },
  };
}

/** What jose checks of a `dir` JWE's header before it decrypts (RFC 7516 §5.2): its algorithms, nothing it cannot honour. */
function openWithNode(aesGcm: AesGcm, wire: WireValue, key: AesGcmKey): Uint8Array | undefined {
  const { header } = wire;
  if (header.alg !== ALG.alg || header.enc !== ALG.enc || 'zip' in header || 'crit' in header) return undefined;
  return aesGcm.decrypt(key, wire.iv, utf8Encoder.encode(wire.encodedHeader), wire.ciphertext, wire.tag);
}

async function openWithJose(wire: WireValue, key: CryptoKey): Promise<Uint8Array | undefined> {
  try {
    return (await compactDecrypt(wire.compact, key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] })).plaintext;
  } catch {
    return undefined;
  }
}
