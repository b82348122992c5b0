import type { Store } from '../../storage/port.ts';

/** What a sign-in session (`sid`, in the ID and access tokens) stands for: today exactly one grant of one client. */
export interface SessionRecord {
  grantId: string;
  clientId: string;
  idp: string;
  /** The bridge user id (`sub`); absent on sessions recorded before back-channel logout existed. */
  userId?: string;
}

const key = (sid: string) => `session:${sid}`;
const userKey = (userId: string) => `user-sessions:${userId}`;
/** The newest sessions of a user that `endAllOf` can reach (users disable); older ones still end when their tokens do. */
const USER_SESSIONS_KEPT = 64;

/**
 * The sid → grant mapping, written when the code is issued, so that RP-initiated logout (an ID token's `sid`) can
 * revoke the grant behind it with the grants' own revocation marks. Kept as long as those marks (`ttlMs`). A
 * per-user index of sids (one compareAndSwap per login) lets an administrator end every session of a user.
 */
export function createSessions(store: Store, ttlMs: number) {
  async function addToUser(userId: string, sid: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const raw = await store.get(userKey(userId));
      const sids = [sid, ...((raw ? JSON.parse(raw) : []) as string[]).filter((s) => s !== sid)].slice(0, USER_SESSIONS_KEPT);
      const next = JSON.stringify(sids);
      const written =
        raw === null ? await store.setIfAbsent(userKey(userId), next, { ttlMs }) : await store.compareAndSwap(userKey(userId), raw, next, { ttlMs });
      if (written) return;
    }
  }

  return {
    async record(sid: string, session: SessionRecord): Promise<void> {
      await store.set(key(sid), JSON.stringify(session), { ttlMs });
      if (session.userId !== undefined) await addToUser(session.userId, sid);
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
    /** Ends every indexed session of a user; returns those that were still live, with their sids. */
    async endAllOf(userId: string): Promise<Array<SessionRecord & { sid: string }>> {
      const raw = await store.getAndDelete(userKey(userId));
      const ended: Array<SessionRecord & { sid: string }> = [];
      for (const sid of (raw ? JSON.parse(raw) : []) as string[]) {
        const session = await this.end(sid);
        if (session) ended.push({ ...session, sid });
      }
      return ended;
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
