import { systemClock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import { createUserDirectory } from '../identity/user-directory.ts';
import type { Logger } from '../observability/logger.ts';
import { createStore } from '../storage/index.ts';

/** `users list|show|disable|enable|delete` against the configured store. */
export async function runUsersCommand(input: {
  config: Config;
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
  const store = createStore(config.store, { clock: systemClock, logger });
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

function notFound(out: (line: string) => void, id: string): number {
  out(`no user ${id}`);
  return 1;
}
