import type { Clock } from '../../clock.ts';
import type { Store } from '../../storage/port.ts';
import { randomToken, sha256 } from '../../crypto.ts';

/** The grant a refresh token family stands for, plus its rotation state. Stored under `rt:<familyId>`. */
export interface RefreshFamily {
  clientId: string;
  userId: string;
  idp: string;
  scopes: string[];
  sid: string;
  grantId: string;
  authTime: number;
  amr?: string[];
  /** SHA-256 of the current secret; the only one that refreshes. */
  current: string;
  /** SHA-256 of the secrets rotated away (the newest `USED_KEPT`): presenting one is a reuse. */
  used: string[];
  createdAt: number;
  lastUsedAt: number;
  idleMs: number;
  absoluteMs: number;
}

export type FamilyGrant = Omit<RefreshFamily, 'current' | 'used' | 'createdAt' | 'lastUsedAt' | 'idleMs' | 'absoluteMs'>;

export type Rotation =
  | { status: 'rotated'; family: RefreshFamily; token: string }
  | { status: 'reused'; family: RefreshFamily }
  | { status: 'foreign' }
  | { status: 'unknown' };

/**
 * `<familyId>.<secret>`: 128-bit family id, 256-bit secret, both hex (randomToken). The token names its family. Tokens
 * issued before the hex upgrade (base64url parts, 22 and 43 characters) keep rotating until their family ends; the
 * token they rotate to is hex.
 */
const TOKEN = /^([0-9a-f]{32}|[A-Za-z0-9_-]{22})\.([0-9a-f]{64}|[A-Za-z0-9_-]{43})$/;
const key = (familyId: string) => `rt:${familyId}`;
/** How many rotated-away secrets are remembered for reuse detection; an older one is just unknown. */
const USED_KEPT = 64;

/**
 * Refresh tokens (DESIGN §6, RFC 9700 §4.14): opaque, stored hashed, rotated on every use. One record per family;
 * rotation is one compareAndSwap on it (atomic across instances: Lua CAS on Redis), so of N concurrent uses of one
 * token exactly one wins and the others present an already rotated secret — a reuse, which ends the family.
 */
export function createRefreshTokens(store: Store, clock: Clock) {
  const expiresAt = (f: RefreshFamily) => Math.min(f.lastUsedAt + f.idleMs, f.createdAt + f.absoluteMs);
  const save = (f: RefreshFamily) => ({ ttlMs: Math.max(1, expiresAt(f) - clock.now()) });

  async function open(token: string): Promise<{ familyId: string; hash: string; raw: string; family: RefreshFamily } | undefined> {
    const match = TOKEN.exec(token);
    if (!match) return undefined;
    const [, familyId, secret] = match as unknown as [string, string, string];
    const raw = await store.get(key(familyId));
    if (!raw) return undefined;
    const family = JSON.parse(raw) as RefreshFamily;
    // Expired by the bridge's clock even if the store has not dropped it yet.
    if (clock.now() >= expiresAt(family)) return undefined;
    return { familyId, hash: await sha256(secret), raw, family };
  }

  return {
    /** Starts a family for a grant (at the code redemption); returns its first token. */
    async issue(grant: FamilyGrant, lifetimes: { idleSeconds: number; absoluteSeconds: number }): Promise<string> {
      const familyId = randomToken(16);
      const secret = randomToken(32);
      const now = clock.now();
      const family: RefreshFamily = {
        ...grant,
        current: await sha256(secret),
        used: [],
        createdAt: now,
        lastUsedAt: now,
        idleMs: lifetimes.idleSeconds * 1000,
        absoluteMs: lifetimes.absoluteSeconds * 1000,
      };
      await store.set(key(familyId), JSON.stringify(family), save(family));
      return `${familyId}.${secret}`;
    },

    /**
     * Rotates `token` for `clientId`. `check` validates the request against the family (scope, user) and throws to
     * refuse, leaving the token unused. Another client's token is `foreign`: reported, never a revocation (who saw
     * it must not be able to end the rightful grant). A rotated-away secret is `reused`: the family is deleted here,
     * the caller revokes the grant.
     */
    async rotate(token: string, clientId: string, check: (family: RefreshFamily) => Promise<void>): Promise<Rotation> {
      for (let attempt = 0; attempt < 3; attempt++) {
        const opened = await open(token);
        if (!opened) return { status: 'unknown' };
        const { familyId, hash, raw, family } = opened;
        if (family.clientId !== clientId) return { status: 'foreign' };
        if (family.used.includes(hash)) {
          await store.delete(key(familyId));
          return { status: 'reused', family };
        }
        if (hash !== family.current) return { status: 'unknown' };
        await check(family);
        const secret = randomToken(32);
        const next: RefreshFamily = { ...family, current: await sha256(secret), used: [hash, ...family.used].slice(0, USED_KEPT), lastUsedAt: clock.now() };
        if (await store.compareAndSwap(key(familyId), raw, JSON.stringify(next), save(next)))
          return { status: 'rotated', family: next, token: `${familyId}.${secret}` };
        // Lost the race: the next read sees this secret among the used ones.
      }
      return { status: 'unknown' };
    },

    /** The live family of a current token (introspection), with its expiry time; undefined for anything else. */
    async inspect(token: string): Promise<{ family: RefreshFamily; expiresAt: number } | undefined> {
      const opened = await open(token);
      if (!opened || opened.hash !== opened.family.current) return undefined;
      return { family: opened.family, expiresAt: expiresAt(opened.family) };
    },

    /** Ends the family of `token` (current or rotated away) when it belongs to `clientId`; returns what was ended. */
    async revoke(token: string, clientId: string): Promise<RefreshFamily | undefined> {
      const opened = await open(token);
      if (!opened || opened.family.clientId !== clientId) return undefined;
      if (opened.hash !== opened.family.current && !opened.family.used.includes(opened.hash)) return undefined;
      await store.delete(key(opened.familyId));
      return opened.family;
    },
  };
}

export type RefreshTokens = ReturnType<typeof createRefreshTokens>;
