import type { EventLevel } from './event-hook.ts';

/**
 * The audit trail: who signed in where, which tokens were issued, revoked or replayed, and every refused step. Events
 * ending in `.rejected` are audit events too (the route table's rejectEvent), so a new route's refusals are included.
 */
export const AUDIT_EVENTS: ReadonlySet<string> = new Set([
  'authorize.started',
  'legacy.login_redirect',
  'login.authenticated',
  'login.binding_failed',
  'login.succeeded',
  'user.registered',
  'user.disabled',
  'user.enabled',
  'user.deleted',
  'token.issued',
  'token.exchanged',
  'token.revoked',
  'refresh.rotated',
  'refresh.reused',
  'code.reused',
  'logout',
  'token.exchange_refused',
  'device.started',
  'device.approved',
  'device.denied',
  'device.code_rejected',
  'access.denied',
  'backchannel.sent',
  'backchannel.failed',
  'logout.redirect_refused',
  'request.failed',
  'legacy.keys_fetch_failed',
  'store.unavailable',
  'store.ready',
  'server.started',
  'server.stopped',
  'config.reloaded',
  'config.reload_failed',
]);

/**
 * The only fields an audit line may carry: identifiers and outcome codes. Copying a whitelist (not redacting a
 * blacklist) is what guarantees that no token, code, secret, cookie, legacy header or free-text detail reaches it.
 */
const AUDIT_FIELDS = [
  'event',
  'requestId',
  'clientId',
  'idp',
  'userId',
  'reason',
  'grantType',
  'issued',
  'grantId',
  'tokenType',
  'registered',
  'prompt',
  'store',
  'operation',
  'signal',
  'issuer',
  'subjectTokenType',
  'issuedTokenType',
  'audience',
  'at',
  'claim',
  'cause',
  'attempts',
  'status',
  'revoked',
] as const;

export const isAuditEvent = (event: string): boolean => AUDIT_EVENTS.has(event) || event.endsWith('.rejected');

/** The audit record of one event, or undefined when it is not an audit event. */
export function auditRecord(level: EventLevel, fields: Readonly<Record<string, unknown>>, now: number): Record<string, unknown> | undefined {
  if (typeof fields.event !== 'string' || !isAuditEvent(fields.event)) return undefined;
  const record: Record<string, unknown> = { time: new Date(now).toISOString(), level };
  for (const name of AUDIT_FIELDS) {
    const value = fields[name];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') record[name] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) record[name] = value;
  }
  return record;
}
