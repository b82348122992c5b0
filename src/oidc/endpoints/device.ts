import { sha256 } from '../../crypto.ts';
import { normalizeUserCode, displayUserCode } from '../device/user-code.ts';
import { confirmPage, enterCodePage, messagePage } from '../device/pages.ts';
import { bindingValue, readBindingCookie, setBindingCookie } from '../flow/binding-cookie.ts';
import { readForm } from '../params.ts';
import { redirectTo } from '../responses.ts';
import type { BridgeContext, BridgeServices } from '../services.ts';

const WRONG_CODE_BROWSER_WINDOW_MS = 15 * 60_000;
const WRONG_CODE_GLOBAL_WINDOW_MS = 60_000;
/** How long a page's form stays valid. */
const FORM_TTL_MS = 10 * 60_000;

interface FormToken {
  /** SHA-256 of the browser's binding cookie. */
  b: string;
  /** 'enter' on the code page; the device record's hash on the confirmation page. */
  p: string;
  exp: number;
}

const EXPIRED_FORM = {
  title: 'This page has expired',
  message: 'The form was open too long, or was sent from another browser or site. Start again by entering the code.',
  status: 403 as const,
  again: true,
};
const UNKNOWN_CODE = 'That code is not valid, has expired, or was already used. Check the code on your device and try again.';

/**
 * GET/POST /device (RFC 8628 §3.3), on the bridge's own origin. GET shows the code form (prefilled from
 * verification_uri_complete); POST `enter` looks the code up and binds it to this browser; POST `approve` sends the
 * browser through the IdP's JWT endpoint exactly like a web login (same binding cookie, same completion value),
 * whose callback approves the device; POST `deny` ends it. Every POST carries a sealed form token tied to this
 * browser's binding cookie (CSRF); the cookie is SameSite=Lax, so another site's POST arrives without it anyway.
 * Wrong codes are counted per browser and globally (§5.1); a code entered in one browser cannot be used in another.
 */
export function createDeviceHandler(services: BridgeServices) {
  const { config, clock, sealer, deviceCodes, rateLimiter, authRequests } = services;
  const limits = config.device;

  const formToken = async (bindingHash: string, purpose: string) =>
    sealer.seal(JSON.stringify({ b: bindingHash, p: purpose, exp: clock.now() + FORM_TTL_MS } satisfies FormToken));

  async function openFormToken(c: BridgeContext, sealed: string | undefined): Promise<FormToken | undefined> {
    const cookie = readBindingCookie(c, services.secureCookies);
    if (!cookie || !sealed || sealed.length > 2048) return undefined;
    const opened = await sealer.open(sealed);
    if (opened === null) return undefined;
    const token = JSON.parse(opened.payload) as FormToken;
    return token.exp > clock.now() && token.b === (await sha256(cookie)) ? token : undefined;
  }

  const browserLimitName = (bindingHash: string) => `device-wrong-browser:${bindingHash}`;

  async function enter(c: BridgeContext, token: FormToken, typed: string | undefined): Promise<Response> {
    const log = c.get('log');
    const retry = async (error: string, status: 400 | 429) => enterCodePage(c, { csrf: await formToken(token.b, 'enter'), error, status });
    // Every entry is counted before the lookup (so parallel guesses cannot all pass a check made before any was
    // counted) and refunded when the code was right: the limits count wrong codes. The global counter goes first,
    // and only within it are per-browser counters (keys, too) created.
    const globalOk = await rateLimiter.hit('device-wrong-global', limits.wrongCodesPerMinute, WRONG_CODE_GLOBAL_WINDOW_MS);
    const browserOk = globalOk && (await rateLimiter.hit(browserLimitName(token.b), limits.wrongCodesPerBrowser, WRONG_CODE_BROWSER_WINDOW_MS));
    if (!browserOk) {
      log.warn({ event: 'device.code_rejected', reason: 'user_code_rate_limited', scope: globalOk ? 'browser' : 'global' }, 'too many wrong user codes');
      return messagePage(c, {
        title: 'Too many attempts',
        message: 'Too many wrong codes were entered. Wait a few minutes, then try again.',
        status: 429,
      });
    }
    const userCode = normalizeUserCode(typed);
    const loaded = userCode === undefined ? undefined : await deviceCodes.findByUserCode(userCode);
    const bound = loaded && (await deviceCodes.bind(loaded, token.b));
    if (!loaded || bound === 'not_pending') {
      log.info({ event: 'device.code_rejected', reason: 'user_code_invalid' }, 'unknown user code entered');
      return retry(UNKNOWN_CODE, 400);
    }
    await Promise.all([
      rateLimiter.refund('device-wrong-global', WRONG_CODE_GLOBAL_WINDOW_MS),
      rateLimiter.refund(browserLimitName(token.b), WRONG_CODE_BROWSER_WINDOW_MS),
    ]);
    if (bound === 'elsewhere') {
      log.warn({ event: 'device.code_rejected', reason: 'user_code_bound_elsewhere' }, 'user code entered in a second browser');
      return messagePage(c, {
        title: 'Code already in use',
        message: 'This code was already entered in another browser. Finish there, or start the sign-in on your device again.',
        status: 403,
      });
    }
    const { record } = loaded;
    const client = services.clients.get(record.clientId);
    const idp = services.idps.get(record.idp);
    if (!client || !idp) return retry(UNKNOWN_CODE, 400);
    return confirmPage(c, {
      csrf: await formToken(token.b, loaded.deviceHash),
      clientName: client.clientId,
      userCode: displayUserCode(record.userCode),
      scopes: record.scopes,
      formTargets: [idp.jwtEndpoint, ...(idp.loginUrl ? [idp.loginUrl] : [])],
    });
  }

  async function decide(c: BridgeContext, token: FormToken, action: 'approve' | 'deny'): Promise<Response> {
    const log = c.get('log');
    const loaded = await deviceCodes.get(token.p);
    const { record } = loaded ?? {};
    const client = record && services.clients.get(record.clientId);
    const idp = record && services.idps.get(record.idp);
    if (!loaded || !record || record.status !== 'pending' || record.bindingHash !== token.b || !client || !idp) {
      return messagePage(c, { title: 'Request expired', message: 'This sign-in request has expired or was already answered.', status: 400, again: true });
    }
    c.set('log', log.child({ clientId: record.clientId, idp: record.idp }));
    if (action === 'deny') {
      await deviceCodes.settle(loaded.deviceHash, token.b, { status: 'denied', reason: 'user' });
      c.get('log').info({ event: 'device.denied', reason: 'device_denied' }, 'device authorization denied by the user');
      return messagePage(c, { title: 'Request denied', message: 'The device was not signed in. You can close this window.' });
    }
    const cookie = readBindingCookie(c, services.secureCookies)!;
    // The same sealed auth request as a web login, marked as a device approval; the callback approves the device.
    const authRequestId = await authRequests.seal({
      id: authRequests.newId(),
      clientId: record.clientId,
      redirectUri: `${config.issuer}/device`,
      scopes: record.scopes,
      idp: record.idp,
      bindingHash: await sha256(cookie),
      createdAt: clock.now(),
      deviceHash: loaded.deviceHash,
    });
    setBindingCookie(c, cookie, services.secureCookies, config.tokens.authRequestTtlSeconds);
    c.get('log').info({ event: 'authorize.started', idp: record.idp, device: true }, 'device approval sent through the identity provider');
    return redirectTo(c, idp.jwtEndpoint, { authRequestID: authRequestId });
  }

  return async (c: BridgeContext): Promise<Response> => {
    if (c.req.method === 'GET') {
      const binding = bindingValue(c, services.secureCookies);
      setBindingCookie(c, binding, services.secureCookies, config.tokens.authRequestTtlSeconds);
      const typed = new URL(c.req.url).searchParams.getAll('user_code');
      const prefill = typed.length === 1 ? normalizeUserCode(typed[0]) : undefined;
      return enterCodePage(c, { csrf: await formToken(await sha256(binding), 'enter'), ...(prefill && { userCode: displayUserCode(prefill) }) });
    }
    const params = await readForm(c);
    params.rejectDuplicates();
    const token = await openFormToken(c, params.get('csrf'));
    const action = params.get('action');
    if (!token || (action === 'enter') !== (token.p === 'enter')) {
      c.get('log').info({ event: 'device.rejected', reason: 'csrf_invalid' }, 'device form token missing, expired or from another browser');
      return messagePage(c, EXPIRED_FORM);
    }
    if (action === 'enter') return enter(c, token, params.get('user_code'));
    if (action === 'approve' || action === 'deny') return decide(c, token, action);
    return messagePage(c, EXPIRED_FORM);
  };
}
