import { header, setCookies, type Step } from './load.ts';

export const CALLBACK = 'http://127.0.0.1:9/cb';
// One PKCE pair for every login (RFC 7636 S256): the server's work is the same, the load generator's is less.
export const PKCE = { verifier: 'bench-verifier-0123456789-abcdefghijklmnopqrstuvwxyz', challenge: '' };
PKCE.challenge = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(PKCE.verifier))).toString('base64url');

export interface BenchClient {
  id: string;
  secret: string;
}

const basic = (client: BenchClient) => `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`;

function cookiePairs(headers: Record<string, string | string[]>): string[] {
  return setCookies(headers).map((c) => c.split(';')[0]!);
}

function pathOf(location: string | undefined): string | undefined {
  if (!location) return undefined;
  const url = new URL(location, 'http://x');
  return url.pathname + url.search;
}

export function authorizePath(client: BenchClient, endpoint = '/authorize'): string {
  const params = new URLSearchParams({
    client_id: client.id,
    redirect_uri: CALLBACK,
    response_type: 'code',
    scope: 'openid email profile',
    state: 'bench-state-0123456789',
    nonce: 'bench-nonce-0123456789',
    code_challenge: PKCE.challenge,
    code_challenge_method: 'S256',
  });
  return `${endpoint}?${params}`;
}

/** GET /authorize: keeps the authRequestID and the binding cookie. */
export function authorizeStep(client: BenchClient, onId?: (id: string) => void): Step {
  return {
    path: authorizePath(client),
    onResponse(status, headers, context) {
      const location = header(headers, 'location');
      const id = location ? new URL(location).searchParams.get('authRequestID') : null;
      if (status !== 302 || !id) return false;
      context.authRequestId = id;
      context.cookie = cookiePairs(headers).join('; ');
      onId?.(id);
      return true;
    },
  };
}

/** GET /login/jwt with the legacy header, as the WAF forwards it; `next` picks the auth request and the token. */
export function jwtStep(next: (context: Record<string, unknown>) => { authRequestId: string; token: string } | undefined): Step {
  return {
    setup(context) {
      const picked = next(context);
      if (!picked) return undefined;
      return { path: `/login/jwt?authRequestID=${encodeURIComponent(picked.authRequestId)}`, headers: { 'x-custom-tkn': picked.token } };
    },
    onResponse(status, headers, context) {
      const callback = pathOf(header(headers, 'location'));
      if (status !== 302 || !callback?.startsWith('/login/jwt/callback?')) return false;
      context.callback = callback;
      return true;
    },
  };
}

/** GET /login/jwt/callback with the binding cookie: keeps the code. */
export function callbackStep(onCode?: (code: string) => void): Step {
  return {
    setup(context) {
      if (typeof context.callback !== 'string') return undefined;
      return { path: context.callback, headers: { cookie: String(context.cookie ?? '') } };
    },
    onResponse(status, headers, context) {
      const location = header(headers, 'location');
      const code = location?.startsWith(CALLBACK) ? new URL(location).searchParams.get('code') : null;
      if (status !== 302 || !code) return false;
      context.code = code;
      onCode?.(code);
      return true;
    },
  };
}

/** POST /token: authorization_code with PKCE and client_secret_basic; `next` gives the code. */
export function tokenStep(client: BenchClient, next: (context: Record<string, unknown>) => string | undefined, path = '/token'): Step {
  return {
    method: 'POST',
    setup(context) {
      const code = next(context);
      if (!code) return undefined;
      const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: PKCE.verifier }).toString();
      return {
        method: 'POST',
        path,
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) },
      };
    },
    onResponse(status, _headers, _context, body) {
      return status === 200 && body.includes('"id_token"') && body.includes('"access_token"');
    },
  };
}

/** node-oidc-provider: /auth → /interaction/:uid (logs in, see peer/oidc-provider.ts) → /auth/:uid → code. */
export function peerCodeSteps(client: BenchClient, onCode: (code: string) => void): Step[] {
  const follow = (status: number, headers: Record<string, string | string[]>, context: Record<string, unknown>) => {
    const jar = new Map(
      (String(context.cookie ?? '') || '')
        .split('; ')
        .filter(Boolean)
        .map((p) => [p.split('=')[0]!, p] as const),
    );
    for (const pair of cookiePairs(headers)) jar.set(pair.split('=')[0]!, pair);
    context.cookie = [...jar.values()].join('; ');
    const location = header(headers, 'location');
    if ((status !== 302 && status !== 303) || !location) return false;
    context.next = location;
    return true;
  };
  const hop: Step = {
    setup: (context) => (typeof context.next === 'string' ? { path: pathOf(context.next)!, headers: { cookie: String(context.cookie ?? '') } } : undefined),
    onResponse: follow,
  };
  return [
    { path: authorizePath(client, '/auth'), onResponse: follow },
    hop,
    {
      ...hop,
      onResponse(status, headers, context) {
        if (!follow(status, headers, context)) return false;
        const next = String(context.next);
        const code = next.startsWith(CALLBACK) ? new URL(next).searchParams.get('code') : null;
        if (!code) return false;
        onCode(code);
        return true;
      },
    },
  ];
}
