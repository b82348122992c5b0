import { systemClock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import { createUserDirectory } from '../identity/user-directory.ts';
import type { Logger } from '../observability/logger.ts';
import { createStore } from '../storage/index.ts';
import { loadSigningKeys, type SigningAlg } from '../keys/signing-keys.ts';
import { createSessionServices } from '../oidc/services.ts';
import { readSigningJwks } from '../runtime/node.ts';
import type { Store } from '../storage/port.ts';

/** `users list|show|disable|enable|delete` against the configured store. */
export async function runUsersCommand(input: {
  config: Config;
  /** The config file, so `signing.keys[].file` resolves as it does for `serve`. */
  configFile?: string;
  action: string | undefined;
  id: string | undefined;
  out: (line: string) => void;
  logger: Logger;
  /** list and show as JSON (an array; the user record). */
  json?: boolean;
}): Promise<number> {
  const { config, action, id, out, logger } = input;
  if (action !== 'list' && !id) {
    out('usage: jwt-idp-bridge users list | users show|disable|enable|delete ID --config FILE');
    return 2;
  }
  if (config.store.type === 'memory' && !input.json) out('note: store.type is memory — it holds only what this process created (nothing).');
  const store = await createStore(config.store, { clock: systemClock, logger });
  const users = createUserDirectory({ store, clock: systemClock, logger });
  try {
    switch (action) {
      case 'list':
        if (input.json) {
          out(JSON.stringify(await users.list()));
          return 0;
        }
        for (const user of await users.list())
          out(
            `${user.id}\t${user.disabled ? 'disabled' : 'active'}\t${user.identities.map((i) => `${i.idp}:${i.sub}`).join(',')}\t${String(user.profile.email ?? '')}`,
          );
        return 0;
      case 'show': {
        const user = await users.get(id!);
        if (!user) return notFound(out, id!);
        out(JSON.stringify(user, null, 2));
        return 0;
      }
      case 'disable':
      case 'enable': {
        const user = await users.setDisabled(id!, action === 'disable');
        if (!user) return notFound(out, id!);
        out(`${user.id} ${action}d`);
        if (action === 'disable') await endSessions(input, store, user.id);
        return 0;
      }
      case 'delete':
        if (!(await users.delete(id!))) return notFound(out, id!);
        out(`${id} deleted`);
        return 0;
      default:
        out(`unknown users action: ${action ?? ''}`);
        return 2;
    }
  } finally {
    await store.close();
  }
}

/**
 * A disabled user's sessions end now: their grants are revoked (access tokens fail at userinfo and introspection,
 * refresh tokens at /token) and every client with a `backchannelLogoutUri` gets a logout token. The CLI waits for the
 * deliveries (each bounded by backchannelLogout.timeoutSeconds × attempts) and reports them.
 */
async function endSessions(input: { config: Config; configFile?: string; out: (line: string) => void; logger: Logger }, store: Store, userId: string) {
  const { config, out } = input;
  const requiredAlgs = [...new Set(config.clients.map((client) => client.idTokenSignedResponseAlg as SigningAlg))];
  const keys = await loadSigningKeys({ jwks: await readSigningJwks(config, input.configFile), requiredAlgs, store, logger: input.logger });
  const { logout } = createSessionServices({ config, store, clock: systemClock, keys });
  const events: Record<string, unknown>[] = [];
  const log = recording(input.logger, events);
  const { ended, delivery } = await logout.endUserSessions(userId, log);
  await delivery;
  out(`${ended} session${ended === 1 ? '' : 's'} ended`);
  for (const event of events) {
    if (event.event === 'backchannel.sent') out(`back-channel logout delivered to ${String(event.clientId)}`);
    if (event.event === 'backchannel.failed') out(`back-channel logout to ${String(event.clientId)} failed: ${String(event.reason)}`);
  }
}

/** A logger that also keeps each event's fields, so the CLI can print what happened. */
function recording(logger: Logger, into: Record<string, unknown>[]): Logger {
  const keep =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (fields: Record<string, unknown>, message?: string): void => {
      into.push(fields);
      logger[level](fields, message);
    };
  return { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error'), child: (bindings) => recording(logger.child(bindings), into) };
}

function notFound(out: (line: string) => void, id: string): number {
  out(`no user ${id}`);
  return 1;
}
