import type { ClientConfig } from '../../config/schema.ts';
import { boundClaimMatches, readClaim } from '../../legacy/rules.ts';
import type { Logger } from '../../observability/logger.ts';
import { OAuthError } from '../errors.ts';

/**
 * The client's access policy (DESIGN §3 `access.requireClaims`, JIT eligibility): every listed claim (a name or a JSON
 * Pointer) of the user's stored profile must match, with the IdP's boundClaims rules (list = any of; an array claim
 * matches when any element does; globs only with `requireClaimsType: glob`). Checked wherever a user gets or renews
 * tokens for the client: login completion at the callback, device approval, refresh, token exchange. A user who does
 * not match gets access_denied (reason `client_policy_denied`, event `access.denied`).
 */
export function checkClientAccess(
  client: Pick<ClientConfig, 'clientId' | 'access'>,
  user: { id: string; profile: Record<string, unknown> },
  log?: Logger,
  where = 'login',
): void {
  const failed = clientAccessFailure(client, user.profile);
  if (failed === undefined) return;
  log?.warn({ event: 'access.denied', reason: 'client_policy_denied', userId: user.id, claim: failed, at: where }, 'user does not meet the client policy');
  throw new OAuthError('access_denied', 'the user may not use this application', {
    // At /token an error is a 400 (RFC 6749 §5.2); in a browser, the page's status.
    status: where === 'refresh' || where === 'token' ? 400 : 403,
    reason: 'client_policy_denied',
    detail: `claim ${failed} does not match (${where})`,
    page: { title: 'Access denied', message: 'Your account is not allowed to use this application. Ask its administrators for access.' },
  });
}

/** The first required claim the profile does not satisfy; undefined when it satisfies them all (or there is no policy). */
export function clientAccessFailure(client: Pick<ClientConfig, 'access'>, profile: Record<string, unknown>): string | undefined {
  const access = client.access;
  if (!access) return undefined;
  const glob = access.requireClaimsType === 'glob';
  for (const [selector, expected] of Object.entries(access.requireClaims)) {
    if (!boundClaimMatches(expected, readClaim(profile, selector), glob)) return selector;
  }
  return undefined;
}
