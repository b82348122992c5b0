import { getCookie, setCookie } from 'hono/cookie';
import { LEGACY_TOKEN_PATTERN, TOKEN_PATTERN, randomToken } from '../../crypto.ts';
import type { BridgeContext } from '../services.ts';

/**
 * The browser-binding cookie (DESIGN §1): one random value per browser, whose hash every auth request started in
 * that browser carries. One cookie whatever the number of sign-ins, so a page that loops a browser through
 * /authorize cannot fill its Cookie header (proxies refuse oversized headers); two sign-ins in two tabs share it.
 * A session-swap victim holds another value than the attacker whose auth request they were sent, as before.
 * With an https issuer it carries the `__Host-` prefix (Secure, Path=/, no Domain); plain http is only allowed for
 * loopback issuers. Always HttpOnly and SameSite=Lax: the callback is reached by a top-level navigation from the
 * WAF's site.
 */
const NAME = 'jib';
const options = (secure: boolean) => ({ path: '/', httpOnly: true, secure, sameSite: 'Lax' as const, ...(secure && { prefix: 'host' as const }) });

/**
 * The binding value the browser holds. A base64url value from before the hex upgrade still binds the sign-ins it
 * started (the callback reads with `legacy: true`); /authorize replaces it, so it leaves the browser within one
 * auth request lifetime instead of being renewed forever (its `--` runs are what WAFs flag).
 */
export function readBindingCookie(c: BridgeContext, secure: boolean, options: { legacy?: boolean } = {}): string | undefined {
  const value = secure ? getCookie(c, NAME, 'host') : getCookie(c, NAME);
  if (value === undefined) return undefined;
  return TOKEN_PATTERN.test(value) || (options.legacy === true && LEGACY_TOKEN_PATTERN.test(value)) ? value : undefined;
}

/** The browser's binding value: the one it holds, or a new one. */
export function bindingValue(c: BridgeContext, secure: boolean): string {
  return readBindingCookie(c, secure) ?? randomToken(32);
}

/** (Re)sets the cookie, its lifetime renewed to cover the auth request being started. */
export function setBindingCookie(c: BridgeContext, value: string, secure: boolean, maxAgeSeconds: number): void {
  setCookie(c, NAME, value, { ...options(secure), maxAge: maxAgeSeconds });
}
