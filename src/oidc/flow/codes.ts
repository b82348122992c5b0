import type { Clock } from '../../clock.ts';
import type { Store } from '../../storage/port.ts';
import { LEGACY_TOKEN_PATTERN, TOKEN_PATTERN, randomToken, sha256 } from '../../crypto.ts';

/** What an authorization code stands for; stored under the SHA-256 of the code, never the code itself. */
export interface CodeGrant {
  clientId: string;
  redirectUri: string;
  codeChallenge?: string;
  nonce?: string;
  scopes: string[];
  userId: string;
  idp: string;
  authTime: number;
  amr?: string[];
  sid: string;
  grantId: string;
  issuedAt: number;
  used: boolean;
}

export type Redemption = { status: 'redeemed'; grant: CodeGrant } | { status: 'reused'; grant: CodeGrant } | { status: 'unknown' };

const key = (hash: string) => `code:${hash}`;

/**
 * Codes are ≥ 256 bits, single use, short-lived. Redemption flips `used` with compare-and-swap, so of N
 * concurrent redemptions exactly one wins; the used record stays as a tombstone for `reuseWindowMs` so that
 * a later redemption is *seen* as a reuse and can revoke the grant (RFC 6749 §4.1.2).
 */
export function createCodes(store: Store, options: { ttlMs: number; reuseWindowMs: number; clock: Clock }) {
  return {
    async issue(grant: Omit<CodeGrant, 'used'>): Promise<string> {
      const code = randomToken(32);
      await store.set(key(await sha256(code)), JSON.stringify({ ...grant, used: false }), { ttlMs: options.ttlMs });
      return code;
    },

    /**
     * `check` validates the bindings (client, redirect_uri, PKCE) against the unused grant and throws to refuse;
     * a refused attempt leaves the code unused, so a stolen code without the verifier cannot burn it. A used code is
     * reported as `reused` only to the client it was issued to: anyone else who saw it (browser history, a log) must
     * not be able to revoke the rightful grant, so for them it is simply `unknown`.
     */
    async redeem(code: string, clientId: string, check: (grant: CodeGrant) => Promise<void>): Promise<Redemption> {
      // A base64url code issued before the hex upgrade is still redeemed (codes live 60 s; see LEGACY_TOKEN_PATTERN).
      if (!TOKEN_PATTERN.test(code) && !LEGACY_TOKEN_PATTERN.test(code)) return { status: 'unknown' };
      const k = key(await sha256(code));
      for (let attempt = 0; attempt < 3; attempt++) {
        const raw = await store.get(k);
        if (!raw) return { status: 'unknown' };
        const grant = JSON.parse(raw) as CodeGrant;
        if (grant.used) return grant.clientId === clientId ? { status: 'reused', grant } : { status: 'unknown' };
        // Expired by the bridge's clock even if the store has not dropped it yet.
        if (options.clock.now() >= grant.issuedAt + options.ttlMs) return { status: 'unknown' };
        await check(grant);
        const next = JSON.stringify({ ...grant, used: true });
        if (await store.compareAndSwap(k, raw, next, { ttlMs: options.reuseWindowMs })) return { status: 'redeemed', grant };
        // Lost the race: the next read sees the winner's tombstone.
      }
      return { status: 'unknown' };
    },
  };
}

export type Codes = ReturnType<typeof createCodes>;
