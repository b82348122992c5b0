import type { Store } from '../../storage/port.ts';

/** What a sign-in session (`sid`, in the ID and access tokens) stands for: today exactly one grant of one client. */
export interface SessionRecord {
  grantId: string;
  clientId: string;
  idp: string;
}

const key = (sid: string) => `session:${sid}`;

/**
 * The sid → grant mapping, written when the code is issued, so that RP-initiated logout (an ID token's `sid`) can
 * revoke the grant behind it with the grants' own revocation marks. Kept as long as those marks (`ttlMs`).
 */
export function createSessions(store: Store, ttlMs: number) {
  return {
    async record(sid: string, session: SessionRecord): Promise<void> {
      await store.set(key(sid), JSON.stringify(session), { ttlMs });
    },
    /** The live session of `sid`, left in place (token exchange checks an ID token's session still exists). */
    async find(sid: string): Promise<SessionRecord | undefined> {
      const raw = await store.get(key(sid));
      return raw === null ? undefined : (JSON.parse(raw) as SessionRecord);
    },
    /** The session of `sid`, once: a second logout with the same hint finds nothing left to revoke. */
    async end(sid: string): Promise<SessionRecord | undefined> {
      const raw = await store.getAndDelete(key(sid));
      return raw === null ? undefined : (JSON.parse(raw) as SessionRecord);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
