import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { BridgeContext } from './services.ts';

/**
 * The browser-binding cookie (DESIGN §1). One per auth request, so two sign-ins in two tabs of one browser
 * don't overwrite each other. With an https issuer it carries the `__Host-` prefix (Secure, Path=/, no Domain);
 * plain http is only allowed for loopback issuers. Always HttpOnly and SameSite=Lax: the callback is reached
 * by a top-level navigation from the WAF's site.
 */
const name = (authRequestId: string) => `jib-${authRequestId}`;
const options = (secure: boolean) => ({ path: '/', httpOnly: true, secure, sameSite: 'Lax' as const, ...(secure && { prefix: 'host' as const }) });

export function setBindingCookie(c: BridgeContext, authRequestId: string, value: string, secure: boolean, maxAgeSeconds: number): void {
  setCookie(c, name(authRequestId), value, { ...options(secure), maxAge: maxAgeSeconds });
}

export function readBindingCookie(c: BridgeContext, authRequestId: string, secure: boolean): string | undefined {
  return secure ? getCookie(c, name(authRequestId), 'host') : getCookie(c, name(authRequestId));
}

export function clearBindingCookie(c: BridgeContext, authRequestId: string, secure: boolean): void {
  deleteCookie(c, name(authRequestId), options(secure));
}
