import { base64url } from 'jose';

const encoder = new TextEncoder();

interface NodeCrypto {
  createHash(algorithm: 'sha256'): { update(value: string, encoding: 'utf8'): { digest(encoding: 'base64url'): string } };
  randomBytes(size: number): { toString(encoding: 'base64url'): string };
}

/**
 * On Node, its built-in crypto: the same SHA-256 and the same CSPRNG, without the per-call cost of Web Crypto's
 * argument checks and jobs (the bench profile put `crypto.subtle.digest` at ~10% of a login's CPU). Looked up at run
 * time, so the Worker bundle imports nothing from Node; Workers (and anything without `process.getBuiltinModule`) use
 * Web Crypto.
 */
const nodeCrypto = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('crypto') as NodeCrypto | undefined;

/** base64url of `bytes` random bytes (default 32 = 256 bits): Node's CSPRNG when available (nodeCrypto), else Web Crypto. */
export function randomToken(bytes = 32): string {
  if (nodeCrypto) return nodeCrypto.randomBytes(bytes).toString('base64url');
  return base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)));
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

/** The shape of every 256-bit value the bridge mints (codes, ids, completion values): 43 base64url characters. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
