import type { Logger } from '../../observability/logger.ts';
import type { Grants } from '../tokens/grants.ts';
import type { SessionRecord, Sessions } from '../tokens/sessions.ts';
import type { Backchannel, LogoutCause } from './backchannel.ts';

/** A grant that ends: the session (`sid`) and user it belongs to. */
export interface EndingGrant {
  grantId: string;
  sid: string;
  clientId: string;
  userId: string;
}

/**
 * Ending sessions, the one way: revoke the grant (its access tokens fail at userinfo and introspection, its refresh
 * tokens at /token), drop the sid mapping, and tell the client over the back channel. The deliveries are returned
 * as one promise that never rejects, for the caller to run in the background (a redirect never waits for an RP).
 */
export function createLogout(deps: { grants: Grants; sessions: Sessions; backchannel: Backchannel }) {
  const { grants, sessions, backchannel } = deps;

  const notify = (ended: EndingGrant[], cause: LogoutCause, log: Logger): Promise<void> =>
    Promise.all(ended.map((grant) => backchannel.deliver(grant, cause, log))).then(() => undefined);

  return {
    /** RP-initiated logout: the session behind an ID token's `sid` (`sub` from the hint for older records). */
    async endSession(sid: string, hintSub: string | undefined, log: Logger): Promise<{ session: SessionRecord | undefined; delivery: Promise<void> }> {
      const session = await sessions.end(sid);
      if (!session) return { session, delivery: Promise.resolve() };
      await grants.revoke(session.grantId);
      const userId = session.userId ?? hintSub;
      const delivery = userId === undefined ? Promise.resolve() : notify([{ ...session, sid, userId }], 'end_session', log);
      return { session, delivery };
    },

    /** A reused code or refresh token: the grant it produced ends, and so does its session. */
    async revokeGrant(grant: EndingGrant, cause: LogoutCause, log: Logger): Promise<{ delivery: Promise<void> }> {
      await grants.revoke(grant.grantId);
      await sessions.end(grant.sid);
      // Wrapped: an async function returning the bare promise would make the caller await the deliveries.
      return { delivery: notify([grant], cause, log) };
    },

    /** An administrator disabled the user: every session the index knows ends. */
    async endUserSessions(userId: string, log: Logger): Promise<{ ended: number; delivery: Promise<void> }> {
      const ended = await sessions.endAllOf(userId);
      await Promise.all(ended.map((session) => grants.revoke(session.grantId)));
      return {
        ended: ended.length,
        delivery: notify(
          ended.map((s) => ({ ...s, userId })),
          'user_disabled',
          log,
        ),
      };
    },
  };
}

export type Logout = ReturnType<typeof createLogout>;

/**
 * Lets `work` finish after the response: on Workers through `waitUntil` (an isolate may otherwise be stopped once the
 * response is sent); on Node the process simply keeps running it.
 */
export function runInBackground(c: { executionCtx: { waitUntil(promise: Promise<unknown>): void } }, work: Promise<void>): void {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // Hono throws when there is no execution context (Node): nothing to extend.
  }
}
