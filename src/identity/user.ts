import type { Logger } from '../observability/logger.ts';
import { base64url } from 'jose';
import { randomToken } from '../crypto.ts';
/**
 * The user model (DESIGN §5) and how it is laid out in the store (STORAGE.md, "The data").
 *
 * - `user:<id>` → the JSON record, durable.
 * - `link:<b64url(idp)>:<b64url(sub)>` → user id, durable. Each part is base64url-encoded so that a `:` inside an
 *   idp name or a legacy `sub` cannot make two different (idp, sub) pairs share a key.
 *
 * The two live in different Cluster slots on purpose: registration is two single-key steps (STORAGE.md, "Creating
 * a user"), so they need no shared hash tag.
 */
export interface User {
  /** The bridge's own, stable user id; the `sub` of the bridge's tokens (DESIGN §5). */
  id: string;
  createdAt: number;
  updatedAt: number;
  disabled: boolean;
  profile: Record<string, unknown>;
  identities: { idp: string; sub: string }[];
}

export type ResolveResult = { status: 'ok'; user: User; registered: boolean } | { status: 'not_registered' } | { status: 'disabled'; user: User };

export interface UserDirectory {
  /**
   * (idp, sub) → user. Registers atomically when allowed: N concurrent first logins (even on several bridge
   * instances sharing Redis) create exactly one user.
   */
  resolve(input: {
    idp: string;
    sub: string;
    profile: Record<string, unknown>;
    autoRegister: boolean;
    autoUpdate: boolean;
    /** The request's logger, so events carry its request id; defaults to the directory's logger. */
    log?: Logger;
  }): Promise<ResolveResult>;
  get(id: string): Promise<User | null>;
  list(): Promise<User[]>;
  setDisabled(id: string, disabled: boolean): Promise<User | null>;
  /** Removes the record and its (idp, sub) links. */
  delete(id: string): Promise<boolean>;
}

export const USER_KEY_PREFIX = 'user:';

export function userKey(id: string): string {
  return USER_KEY_PREFIX + id;
}

export function linkKey(idp: string, sub: string): string {
  return `link:${base64url.encode(idp)}:${base64url.encode(sub)}`;
}

/** 128 random bits, URL-safe (22 characters). Web Crypto, so it runs on Node and in Workers alike. */
export function newUserId(): string {
  return randomToken(16);
}

export function encodeUser(user: User): string {
  return JSON.stringify(user);
}

export function decodeUser(raw: string): User {
  const value: unknown = JSON.parse(raw);
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as User).id !== 'string' ||
    typeof (value as User).disabled !== 'boolean' ||
    !Array.isArray((value as User).identities)
  ) {
    throw new Error('stored user record is malformed');
  }
  return value as User;
}

/** JSON with object keys sorted, so two profiles compare equal regardless of claim order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
