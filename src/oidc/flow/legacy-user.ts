import type { User, UserDirectory } from '../../identity/user.ts';
import type { Logger } from '../../observability/logger.ts';
import type { IdentityProvider } from '../services.ts';

export type LegacyUser = { ok: true; user: User; registered: boolean } | { ok: false; reason: 'user_not_registered' | 'user_disabled'; detail?: string };

/**
 * The user behind a verified legacy JWT, found or registered by the IdP's rules (`autoRegister`, `autoUpdate`).
 * The one place both the JWT endpoint and token exchange turn a legacy subject into a bridge user; each caller maps
 * a refusal to its own protocol error, with the same reason codes.
 */
export async function resolveLegacyUser(
  users: UserDirectory,
  idp: IdentityProvider,
  verified: { subject: string; profile: Record<string, unknown> },
  log: Logger,
): Promise<LegacyUser> {
  const resolved = await users.resolve({
    idp: idp.id,
    sub: verified.subject,
    profile: verified.profile,
    autoRegister: idp.autoRegister,
    autoUpdate: idp.autoUpdate,
    log,
  });
  if (resolved.status === 'not_registered') return { ok: false, reason: 'user_not_registered' };
  if (resolved.status === 'disabled') return { ok: false, reason: 'user_disabled', detail: `user ${resolved.user.id}` };
  return { ok: true, user: resolved.user, registered: resolved.registered };
}
