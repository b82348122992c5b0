import type { Clock } from '../../clock.ts';
import type { ClientConfig } from '../../config/schema.ts';
import type { SigningKeys } from '../../keys/signing-keys.ts';
import type { Logger } from '../../observability/logger.ts';
import { mintLogoutToken } from '../tokens/logout-token.ts';

/** Whom a logout token is for: one session (`sid`) of one user at one client. */
export interface LogoutTarget {
  clientId: string;
  userId: string;
  sid: string;
}

/** Why a session ended; logged with every delivery (`cause`). */
export type LogoutCause = 'end_session' | 'code_reused' | 'refresh_reused' | 'user_disabled';

export interface BackchannelOptions {
  issuer: string;
  clock: Clock;
  keys: SigningKeys;
  clients: ReadonlyMap<string, ClientConfig>;
  timeoutMs: number;
  attempts: number;
  /** The wait before the second attempt; it doubles for each further one. */
  retryDelayMs?: number;
  fetch?: typeof fetch;
}

type Outcome = { ok: true; status: number } | { ok: false; retry: boolean; reason: string; status?: number };

/**
 * Back-channel logout delivery (OpenID Connect Back-Channel Logout 1.0 §2.5): a form POST of `logout_token` to the
 * client's `backchannelLogoutUri`. The RP answers 200 (or 204) when it logged the session out; 400 means it refused
 * the token, which another attempt would not change. A timeout, a network error or a 5xx is retried with a doubling
 * delay, at most `attempts` times in all. Redirects are not followed: the registered URI is the only one posted to.
 * `deliver` never rejects; callers do not await it on a user's request (see runInBackground).
 */
export function createBackchannel(options: BackchannelOptions) {
  const doFetch = options.fetch ?? fetch;
  const retryDelayMs = options.retryDelayMs ?? 1000;

  async function attempt(uri: string, body: string): Promise<Outcome> {
    try {
      const response = await doFetch(uri, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Cache-Control': 'no-store' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
      return { ok: false, retry: response.status >= 500, reason: 'backchannel_status', status: response.status };
    } catch (error) {
      const name = (error as Error).name;
      return { ok: false, retry: true, reason: name === 'TimeoutError' || name === 'AbortError' ? 'backchannel_timeout' : 'backchannel_unreachable' };
    }
  }

  return {
    /** Whether this client registered a back-channel logout URI at all. */
    wants(clientId: string): boolean {
      return Boolean(options.clients.get(clientId)?.backchannelLogoutUri);
    },

    async deliver(target: LogoutTarget, cause: LogoutCause, log: Logger): Promise<void> {
      const client = options.clients.get(target.clientId);
      const uri = client?.backchannelLogoutUri;
      if (!client || !uri) return;
      const fields = { clientId: client.clientId, userId: target.userId, cause };
      try {
        const token = await mintLogoutToken({ issuer: options.issuer, client, sub: target.userId, sid: target.sid, now: options.clock.now() }, options.keys);
        const body = new URLSearchParams({ logout_token: token }).toString();
        let outcome: Outcome = { ok: false, retry: true, reason: 'backchannel_unreachable' };
        let attempts = 0;
        while (attempts < options.attempts) {
          if (attempts > 0) await new Promise((done) => setTimeout(done, retryDelayMs * 2 ** (attempts - 1)));
          attempts++;
          outcome = await attempt(uri, body);
          if (outcome.ok || !outcome.retry) break;
        }
        if (outcome.ok) log.info({ event: 'backchannel.sent', ...fields, attempts, status: outcome.status }, 'back-channel logout delivered');
        else
          log.warn(
            { event: 'backchannel.failed', ...fields, attempts, reason: outcome.reason, ...(outcome.status !== undefined && { status: outcome.status }) },
            'back-channel logout not delivered',
          );
      } catch (error) {
        log.error({ event: 'backchannel.failed', ...fields, reason: 'backchannel_internal', detail: (error as Error).message }, 'back-channel logout failed');
      }
    },
  };
}

export type Backchannel = ReturnType<typeof createBackchannel>;
