/**
 * The one error type of the protocol layer. Each error knows its OAuth `error` code, HTTP status, and
 * whether it may be shown to the user agent / redirected to the client. Redirecting is only ever done
 * by the handler after the client and its redirect_uri were verified; `redirectable` says the error
 * is *meant* for the client, not that it is safe yet.
 */
import { StoreUnavailableError } from '../storage/port.ts';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'request_not_supported'
  | 'request_uri_not_supported'
  | 'access_denied'
  | 'login_required'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_token';

export class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  readonly status: number;
  /** Stable internal reason (UPPER_SNAKE), for logs and metrics. */
  readonly code: string;
  /** Text safe to send as error_description. */
  readonly description: string;
  /** Internal detail for the log only. */
  readonly detail: string | undefined;

  constructor(error: OAuthErrorCode, description: string, options: { status?: number; code?: string; detail?: string; cause?: unknown } = {}) {
    super(description, { cause: options.cause });
    this.name = 'OAuthError';
    this.error = error;
    this.description = description;
    this.status = options.status ?? defaultStatus(error);
    this.code = options.code ?? error.toUpperCase();
    this.detail = options.detail;
  }
}

function defaultStatus(error: OAuthErrorCode): number {
  switch (error) {
    case 'invalid_client':
    case 'invalid_token':
      return 401;
    case 'server_error':
      return 500;
    case 'temporarily_unavailable':
      return 503;
    case 'access_denied':
      return 403;
    default:
      return 400;
  }
}

/** Shorthands for the common cases. */
export const invalidRequest = (description: string, code = 'INVALID_REQUEST') => new OAuthError('invalid_request', description, { code });
export const invalidGrant = (description: string, code = 'INVALID_GRANT') => new OAuthError('invalid_grant', description, { code });

/**
 * The one translation of a store outage: the client sees `temporarily_unavailable` (RFC 6749 §4.1.2.1), the log
 * gets the detail. Anything that is not a store outage is rethrown, to end as a generic server_error.
 */
export function asTemporarilyUnavailable(error: unknown): OAuthError {
  if (!(error instanceof StoreUnavailableError)) throw error;
  return new OAuthError('temporarily_unavailable', 'the service is temporarily unavailable', { code: 'STORE_UNAVAILABLE', detail: error.message });
}
