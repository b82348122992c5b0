/**
 * The storage port: a key/value store with the few atomic primitives the protocol needs.
 *
 * Every protocol step that must be atomic is expressed as ONE of these calls on ONE key, so each adapter
 * keeps it atomic by construction (a single Redis command or Lua script; a synchronous Map step in memory):
 * - auth request pending → authenticated → consumed: `compareAndSwap` on the auth request key;
 * - code redemption (and seeing a reuse): `compareAndSwap` from the unused to the used record;
 * - refresh rotation: `compareAndSwap` on the family record (the token names its family);
 * - first-login registration: `setIfAbsent` on the (idp, sub) mapping, then `setIfAbsent` on the user record.
 *
 * Keys are passed without the configured prefix; adapters add it. Values are opaque strings (JSON by convention).
 * TTLs are in milliseconds; a value without a TTL is durable.
 */
export interface Store {
  get(key: string): Promise<string | null>;
  /** Writes unconditionally. */
  set(key: string, value: string, options?: { ttlMs?: number }): Promise<void>;
  /** Writes only when the key does not exist; true when this call wrote it. */
  setIfAbsent(key: string, value: string, options?: { ttlMs?: number }): Promise<boolean>;
  /** Reads and deletes in one step; only one of several concurrent callers gets the value. */
  getAndDelete(key: string): Promise<string | null>;
  /**
   * Replaces the value only when it currently equals `expected` (byte for byte). `next: null` deletes the key.
   * Without `ttlMs` the key keeps its remaining TTL. True when this call made the change.
   */
  compareAndSwap(key: string, expected: string, next: string | null, options?: { ttlMs?: number }): Promise<boolean>;
  /** Deletes; true when something was deleted. */
  delete(key: string): Promise<boolean>;
  /** Keys (without the prefix) that start with `prefix`; for administration (CLI), not for request paths. */
  list(prefix: string): Promise<string[]>;
  /** Throws when the store cannot be reached; used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The store could not be reached or answered with an error. Requests map it to `temporarily_unavailable`. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * The port's TTL rule, shared by the adapters: positive, fractions rounded up (Redis `PX` takes whole milliseconds).
 * A zero or negative TTL is a caller bug, not an outage, so it is a RangeError rather than a StoreUnavailableError.
 */
export function checkTtl(ttlMs: number | undefined): number | undefined {
  if (ttlMs === undefined) return undefined;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a positive number, got ${ttlMs}`);
  return Math.ceil(ttlMs);
}
