import type { Clock } from '../clock.ts';
import type { Store } from '../storage/port.ts';
import { TOKEN_PATTERN, randomToken } from '../crypto.ts';

/** A pending authorization request (DESIGN §1, steps 1-6). Lives ≤ tokens.authRequestTtlSeconds. */
export interface AuthRequest {
  id: string;
  clientId: string;
  redirectUri: string;
  state?: string;
  nonce?: string;
  scopes: string[];
  codeChallenge?: string;
  idp: string;
  prompt?: string;
  maxAge?: number;
  /** SHA-256 of the browser-binding cookie set at /authorize. */
  bindingHash: string;
  createdAt: number;
  status: 'pending' | 'authenticated';
  /** Set when the JWT endpoint accepted the legacy token. */
  login?: {
    userId: string;
    authTime: number;
    amr?: string[];
    /** SHA-256 of the one-time completion value sent only in the redirect to the callback. */
    completionHash: string;
  };
}

/** A record together with the exact stored bytes, so transitions can compare-and-swap on it. */
export interface LoadedAuthRequest {
  record: AuthRequest;
  raw: string;
}

const key = (id: string) => `ar:${id}`;

/**
 * The store's TTL removes expired auth requests; the creation time is checked against the bridge's clock too, so
 * expiry never depends on one store's timer alone (and is the same on every adapter).
 */
export function createAuthRequests(store: Store, ttlMs: number, clock: Clock) {
  return {
    newId: () => randomToken(32),

    async create(record: AuthRequest): Promise<void> {
      await store.set(key(record.id), JSON.stringify(record), { ttlMs });
    },

    async load(id: string | undefined): Promise<LoadedAuthRequest | null> {
      if (!id || !TOKEN_PATTERN.test(id)) return null;
      const raw = await store.get(key(id));
      if (!raw) return null;
      const record = JSON.parse(raw) as AuthRequest;
      return clock.now() < record.createdAt + ttlMs ? { record, raw } : null;
    },

    /** Atomically replaces exactly the loaded version; false when someone else changed or removed it first. */
    async replace(loaded: LoadedAuthRequest, next: AuthRequest): Promise<boolean> {
      return store.compareAndSwap(key(loaded.record.id), loaded.raw, JSON.stringify(next));
    },

    /** Atomically removes exactly the loaded version; only one caller can consume an auth request. */
    async consume(loaded: LoadedAuthRequest): Promise<boolean> {
      return store.compareAndSwap(key(loaded.record.id), loaded.raw, null);
    },

    async remove(id: string): Promise<void> {
      await store.delete(key(id));
    },
  };
}

export type AuthRequests = ReturnType<typeof createAuthRequests>;
