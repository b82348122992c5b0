import { html } from 'hono/html';
import { toOAuthError, type ErrorPage, type OAuthError } from './errors.ts';
import type { BridgeContext, Channel, RedirectTarget } from './services.ts';

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

type PageStatus = 200 | 400 | 403 | 404 | 405 | 500 | 503;

/**
 * The one renderer of failures. On a back-channel route every error is a JSON body (RFC 6749 §5.2). On a
 * front-channel route an error goes to the client's redirect_uri only when the handler has verified it (the
 * `redirectTarget` of the context) and the error is meant for the client; otherwise a person sees a plain page.
 * Anything that is not an OAuthError was unexpected: its details go to the log only.
 */
export function renderError(c: BridgeContext, thrown: unknown, channel: Channel = c.get('route')?.channel ?? 'back'): Response | Promise<Response> {
  const error = toOAuthError(thrown);
  const log = c.get('log');
  const event = c.get('route')?.rejectEvent ?? 'request.rejected';
  if (error.status >= 500 && error.error === 'server_error' && clientWentAway(c, error.cause)) {
    // Not a failure of ours: the client closed the connection while sending its request (no stack, no alert).
    log?.info({ event: 'request.aborted', path: c.req.path, reason: 'client_aborted' }, 'the client went away');
  } else if (error.status >= 500 && error.error === 'server_error') {
    log?.error({ event: 'request.failed', path: c.req.path, err: error.cause }, 'unexpected error');
  } else {
    log?.[error.status >= 500 ? 'warn' : 'info'](
      { event, reason: error.reason, ...(error.detail !== undefined && { detail: error.detail }) },
      error.description,
    );
  }
  if (channel === 'back') return jsonError(c, error);
  const target = c.get('redirectTarget');
  if (target && error.redirectable) return redirectError(c, target, error);
  return errorPage(c, pageStatus(error.status), error.page ?? defaultPage(error), error.headers);
}

/** The request's body stream failed because its client disconnected (Node: "aborted", ECONNRESET; the signal aborts). */
function clientWentAway(c: BridgeContext, cause: unknown): boolean {
  if (c.req.raw.signal?.aborted) return true;
  const failure = cause as { message?: unknown; code?: unknown } | undefined;
  return failure?.message === 'aborted' && failure.code === 'ECONNRESET';
}

function pageStatus(status: number): PageStatus {
  return ([400, 403, 404, 405, 500, 503] as const).find((s) => s === status) ?? 400;
}

function defaultPage(error: OAuthError): ErrorPage {
  return { title: 'Invalid sign-in request', message: `${error.description}.` };
}

/**
 * A minimal HTML page for errors that must not be redirected (unknown client, unverified redirect_uri,
 * unknown auth request). Not framable, not cached, no script.
 */
export function errorPage(c: BridgeContext, status: PageStatus, page: ErrorPage, headers: Record<string, string> = {}): Response | Promise<Response> {
  const body = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${page.title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:0 .2em}</style>
</head><body><h1>${page.title}</h1><p>${page.message}</p><p><small>Request ID: <code>${c.get('requestId') ?? '-'}</code></small></p></body></html>`;
  return c.html(body, status, {
    ...headers,
    ...NO_STORE,
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
}

/** 302 to an already-validated URI, adding parameters to its query (RFC 6749 §3.1.2: keep its own query). */
export function redirectTo(c: BridgeContext, uri: string, params: Record<string, string | undefined>): Response {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.append(name, value);
  for (const [name, value] of Object.entries(NO_STORE)) c.header(name, value);
  c.header('Referrer-Policy', 'no-referrer');
  return c.redirect(url.href, 302);
}

/** Error response to the client's verified redirect_uri, with state and iss (RFC 6749 §4.1.2.1, RFC 9207). */
function redirectError(c: BridgeContext, target: RedirectTarget, error: OAuthError): Response {
  return redirectTo(c, target.redirectUri, {
    error: error.error,
    error_description: error.description,
    state: target.state,
    iss: target.issuer,
  });
}

/** JSON error for back-channel endpoints (RFC 6749 §5.2). */
function jsonError(c: BridgeContext, error: OAuthError): Response {
  const headers: Record<string, string> = { ...error.headers, ...NO_STORE };
  if (error.error === 'invalid_client') headers['WWW-Authenticate'] = 'Basic realm="jwt-idp-bridge", charset="UTF-8"';
  return c.json({ error: error.error, error_description: error.description }, error.status as 400, headers);
}

export function jsonNoStore(c: BridgeContext, body: unknown): Response {
  return c.json(body as object, 200, NO_STORE);
}
