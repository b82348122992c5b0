import type { Clock } from '../../clock.ts';
import { randomToken } from '../../crypto.ts';
import type { Sealer } from '../../keys/sealing-keys.ts';
import { visibleHeader } from '../../keys/sealed-wire.ts';
import type { Store } from '../../storage/port.ts';

/** An authorization request between /authorize and the JWT endpoint (DESIGN §1, steps 1-4). Stored nowhere. */
export interface PendingAuthRequest {
  /** Random, 128 bits: names the stored record once the request is authenticated. */
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
  /** SHA-256 of the browser-binding cookie. */
  bindingHash: string;
  createdAt: number;
  /**
   * A device approval (RFC 8628) rather than a web login: the SHA-256 of the device_code being approved. Its callback
   * ends on a bridge page, never at a redirect_uri (`redirectUri` is then the verification URI, never redirected to).
   */
  deviceHash?: string;
}

/** Written once, at the JWT endpoint, after the legacy JWT was verified (steps 4-6). */
export interface AuthenticatedAuthRequest extends PendingAuthRequest {
  login: {
    userId: string;
    authTime: number;
    amr?: string[];
    /** SHA-256 of the one-time completion value sent only in the redirect to the callback. */
    completionHash: string;
  };
}

/** A record together with the exact stored bytes, so the callback can consume it with compare-and-swap. */
export interface LoadedAuthRequest {
  record: AuthenticatedAuthRequest;
  raw: string;
}

/** The id of the auth request an `authRequestID` stands for, as logs name it (undefined when it is not one). */
export function authRequestIdOf(authRequestId: string): string | undefined {
  const jti = visibleHeader(authRequestId)?.jti;
  return typeof jti === 'string' ? jti : undefined;
}

const key = (id: string) => `ar:${id}`;
/** What stays of a consumed or refused request until its lifetime ends, so its `authRequestID` cannot start again. */
const SPENT = 'spent';
/**
 * Above the longest authRequestID /authorize can produce (every parameter at its PARAM_LIMITS: about 7.3 KB of base62;
 * a typical one is 0.8 KB), below what a WAF or the URL parser minds (Apache's and nginx's default 8 KB request line).
 */
export const MAX_SEALED_LENGTH = 7680;

/**
 * Unauthenticated requests store nothing: the pending request travels sealed (authenticated encryption, keys shared
 * through the store) as the `authRequestID` itself. Only a verified legacy login writes a record, once (set-if-absent on
 * its id, so a replayed `authRequestID` is seen), and the callback consumes it once. Expiry is checked against the
 * bridge's clock as well as the store's TTL, so it is the same on every adapter.
 */
export function createAuthRequests(store: Store, sealer: Sealer, ttlMs: number, clock: Clock) {
  const live = (record: PendingAuthRequest) => clock.now() < record.createdAt + ttlMs;

  return {
    newId: () => randomToken(16),

    /** The `authRequestID` for a pending request. Its id is readable in the header (for logs); the rest is sealed. */
    seal(record: PendingAuthRequest): Promise<string> {
      return sealer.seal(JSON.stringify(record), { jti: record.id });
    },

    /** The pending request an `authRequestID` stands for; null when it is malformed, forged or expired. */
    async open(authRequestId: string | undefined): Promise<PendingAuthRequest | null> {
      if (!authRequestId || authRequestId.length > MAX_SEALED_LENGTH) return null;
      const opened = await sealer.open(authRequestId);
      if (opened === null) return null;
      const record = JSON.parse(opened.payload) as PendingAuthRequest;
      return live(record) && opened.header.jti === record.id ? record : null;
    },

    /** Has this request been authenticated already (a replay of its `authRequestID`)? */
    async isAuthenticated(id: string): Promise<boolean> {
      return (await store.get(key(id))) !== null;
    },

    /** Writes the authenticated record, exactly once per request; false when another use got there first. */
    async authenticate(record: AuthenticatedAuthRequest): Promise<boolean> {
      const remainingMs = record.createdAt + ttlMs - clock.now();
      if (remainingMs <= 0) return false;
      return store.setIfAbsent(key(record.id), JSON.stringify(record), { ttlMs: remainingMs });
    },

    /** The authenticated record; 'spent' once consumed or refused; null when the JWT endpoint has not accepted it. */
    async loadAuthenticated(id: string): Promise<LoadedAuthRequest | 'spent' | null> {
      const raw = await store.get(key(id));
      if (raw === SPENT) return 'spent';
      if (!raw) return null;
      const record = JSON.parse(raw) as AuthenticatedAuthRequest;
      return live(record) ? { record, raw } : null;
    },

    /** Atomically spends exactly the loaded version (its TTL kept); only one caller can consume an auth request. */
    async consume(loaded: LoadedAuthRequest): Promise<boolean> {
      return store.compareAndSwap(key(loaded.record.id), loaded.raw, SPENT);
    },

    /** Ends an authenticated request (a failed browser binding): nothing more can come of its `authRequestID`. */
    async spend(id: string): Promise<void> {
      await store.set(key(id), SPENT, { ttlMs });
    },
  };
}

export type AuthRequests = ReturnType<typeof createAuthRequests>;
