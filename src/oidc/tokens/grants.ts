import type { Store } from '../../storage/port.ts';

const key = (grantId: string) => `grant-revoked:${grantId}`;

/**
 * Revocation marks for grants (everything one code produced). A mark outlives every token of the grant,
 * so checking it on userinfo is enough.
 */
export function createGrants(store: Store, markTtlMs: number) {
  return {
    async revoke(grantId: string): Promise<void> {
      await store.set(key(grantId), '1', { ttlMs: markTtlMs });
    },
    async isRevoked(grantId: string): Promise<boolean> {
      return (await store.get(key(grantId))) !== null;
    },
  };
}

export type Grants = ReturnType<typeof createGrants>;
