import { ipRestriction } from 'hono/ip-restriction';
import type { IdentityProviderConfig } from '../../config/schema.ts';
import { safeEqual } from '../../crypto.ts';
import type { BridgeContext } from '../services.ts';

export type TrustedProxyCheck = (c: BridgeContext) => Promise<string | undefined>;

/**
 * Proof that a JWT-endpoint request came through the WAF (DESIGN §10): a shared-secret header compared in
 * constant time and/or the connection's source address within `sourceCidrs` (CIDR matching is Hono's
 * ip-restriction). Absent settings mean no check. Built once per IdP; returns why a request fails, if it does.
 */
export function createTrustedProxyCheck(idp: IdentityProviderConfig, remoteAddress: ((c: BridgeContext) => string | undefined) | undefined): TrustedProxyCheck {
  const proxy = idp.trustedProxy;
  const secret = proxy?.sharedSecret;
  const cidrs = proxy?.sourceCidrs ?? [];
  const restriction = cidrs.length
    ? ipRestriction(
        (c) => remoteAddress?.(c as BridgeContext) ?? '',
        { allowList: cidrs },
        () => new Response(null, { status: 403 }),
      )
    : undefined;

  return async (c) => {
    if (secret !== undefined) {
      const presented = c.req.header(proxy!.sharedSecretHeader);
      if (presented === undefined || !(await safeEqual(presented, secret))) return `shared secret header ${proxy!.sharedSecretHeader} missing or wrong`;
    }
    if (restriction) {
      const address = remoteAddress?.(c);
      if (!address) return 'source address unknown';
      let allowed = false;
      try {
        await restriction(c, async () => {
          allowed = true;
        });
      } catch {
        allowed = false;
      }
      if (!allowed) return `source address ${address} not in trustedProxy.sourceCidrs`;
    }
    return undefined;
  };
}
