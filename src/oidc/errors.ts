/**
 * The one error type of the protocol layer. Handlers throw it; the renderer (responses.ts) turns it into a JSON body,
 * an error redirect or a page according to the route's channel. Each error says what it is (OAuth `error`, HTTP status,
 * a stable `reason` for logs and metrics), whether it may go to the client's redirect_uri once that was verified
 * (`redirectable`), and what a person is shown when it ends as a page instead.
 */
import { StoreUnavailableError } from '../storage/port.ts';
import type { Reason } from './reasons.ts';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'request_not_supported'
  | 'request_uri_not_supported'
  | 'access_denied'
  | 'login_required'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_token'
  // RFC 8628 §3.5
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token';

/** What a person sees when an error cannot be redirected to the application. */
export interface ErrorPage {
  title: string;
  message: string;
}

export interface OAuthErrorOptions {
  status?: number;
  reason?: Reason;
  detail?: string;
  cause?: unknown;
  /** Default true. False: the error is for the person in front of the browser, never for the client's redirect_uri. */
  redirectable?: boolean;
  page?: ErrorPage;
  headers?: Record<string, string>;
}

export class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  readonly status: number;
  /** Stable internal reason (lower_snake), for logs and metrics. */
  readonly reason: Reason;
  /** Text safe to send as error_description: a fixed sentence of ours, never request input (RFC 6749 §4.1.2.1). */
  readonly description: string;
  /** Internal detail for the log only. */
  readonly detail: string | undefined;
  readonly redirectable: boolean;
  readonly page: ErrorPage | undefined;
  /** Extra response headers (a WWW-Authenticate challenge, Retry-After). */
  readonly headers: Record<string, string> | undefined;

  constructor(error: OAuthErrorCode, description: string, options: OAuthErrorOptions = {}) {
    super(description, { cause: options.cause });
    this.name = 'OAuthError';
    this.error = error;
    this.description = safeDescription(description);
    this.status = options.status ?? defaultStatus(error);
    this.reason = options.reason ?? (error as Reason);
    this.detail = options.detail;
    this.redirectable = options.redirectable ?? true;
    this.page = options.page;
    this.headers = options.headers;
  }
}

/** RFC 6749 §4.1.2.1: error_description is limited to %x20-21 / %x23-5B / %x5D-7E. */
function safeDescription(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?');
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
export const invalidRequest = (description: string, reason: Reason = 'invalid_request') => new OAuthError('invalid_request', description, { reason });
export const invalidGrant = (description: string, reason: Reason) => new OAuthError('invalid_grant', description, { reason });

/** A page-only error: shown to the person, never redirected (an unknown client, an expired auth request). */
export const pageError = (reason: Reason, page: ErrorPage, detail?: string) =>
  new OAuthError('invalid_request', page.message, { reason, page, redirectable: false, ...(detail !== undefined && { detail }) });

export const EXPIRED_AUTH_REQUEST: ErrorPage = {
  title: 'Sign-in request expired',
  message: 'This sign-in request is unknown or has expired. Return to the application and sign in again.',
};

/**
 * The one translation of any thrown value into an OAuthError. A store outage becomes `temporarily_unavailable`
 * (RFC 6749 §4.1.2.1) with the detail for the log; anything else unexpected becomes a generic `server_error`
 * whose cause is logged and never shown.
 */
export function toOAuthError(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  if (error instanceof StoreUnavailableError) {
    return new OAuthError('temporarily_unavailable', 'the service is temporarily unavailable', {
      reason: 'store_unavailable',
      detail: error.message,
      headers: { 'Retry-After': '5' },
      page: { title: 'Temporarily unavailable', message: 'The sign-in service is temporarily unavailable. Please try again in a moment.' },
    });
  }
  return new OAuthError('server_error', 'the server could not complete the request', {
    reason: 'server_error',
    cause: error,
    page: { title: 'Something went wrong', message: 'The sign-in service hit an unexpected error. Please try again.' },
  });
}
