import { authenticateIntrospectionCaller, type IntrospectionCaller } from '../checks/introspection-caller.ts';
import { readForm } from '../params.ts';
import type { BridgeContext, BridgeServices } from '../services.ts';
import { verifyAccessToken } from '../tokens/access-tokens.ts';

type Answer = Record<string, unknown> & { active: true };

/**
 * POST /introspect (RFC 7662): for a live token — signed here and unexpired (access) or current in its family
 * (refresh), its grant not revoked, its user still active, and visible to the caller (a client sees only its own
 * tokens; a resource server sees all) — `active: true` with its claims. Anything else is `{"active": false}`, with no
 * hint why. Never cached.
 */
export function createIntrospectHandler(services: BridgeServices) {
  const { config, grants, users, refreshTokens } = services;
  const visible = (caller: IntrospectionCaller, clientId: string) => caller.kind === 'resource_server' || caller.client.clientId === clientId;
  const live = async (grantId: string, userId: string) => {
    if (await grants.isRevoked(grantId)) return false;
    const user = await users.get(userId);
    return !!user && !user.disabled;
  };

  return async (c: BridgeContext): Promise<Response> => {
    const params = await readForm(c);
    params.rejectDuplicates();
    const caller = await authenticateIntrospectionCaller(c, services, params);
    const token = params.require('token');
    const hint = params.get('token_type_hint');

    const asAccess = async (): Promise<Answer | undefined> => {
      const checked = await verifyAccessToken(services, token);
      if (!checked.ok) return undefined;
      const { sub, client_id, scope, exp, iat, aud, iss, sid, gid } = checked.payload;
      if (!visible(caller, String(client_id)) || !(await live(String(gid), String(sub)))) return undefined;
      return { active: true, sub, client_id, scope, exp, iat, aud, iss, token_type: 'Bearer', sid };
    };
    const asRefresh = async (): Promise<Answer | undefined> => {
      const found = await refreshTokens.inspect(token);
      if (!found || !visible(caller, found.family.clientId) || !(await live(found.family.grantId, found.family.userId))) return undefined;
      const { family } = found;
      return {
        active: true,
        sub: family.userId,
        client_id: family.clientId,
        scope: family.scopes.join(' '),
        exp: Math.floor(found.expiresAt / 1000),
        iat: Math.floor(family.lastUsedAt / 1000),
        aud: family.clientId,
        iss: config.issuer,
        token_type: 'refresh_token',
        sid: family.sid,
      };
    };
    const order = hint === 'refresh_token' ? [asRefresh, asAccess] : [asAccess, asRefresh];
    let answer: Answer | undefined;
    for (const attempt of order) {
      answer = await attempt();
      if (answer) break;
    }
    return c.json(answer ?? { active: false }, 200, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  };
}
