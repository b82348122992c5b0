import type { Config } from '../config/schema.ts';

// biome-ignore lint/suspicious/noExplicitAny: the runtime's extra fetch arguments pass through untouched.
type Fetch = (request: Request, ...rest: any[]) => Response | Promise<Response>;

/** A reload that was refused; the running configuration stays. */
export class ReloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReloadError';
  }
}

/** The sections a reload cannot change: the listener, the store connection and the logger are built once. */
const RESTART_ONLY = ['server', 'store', 'logging'] as const;

export function restartOnlyChanges(running: Config, next: Config): string[] {
  return RESTART_ONLY.filter((key) => JSON.stringify(running[key]) !== JSON.stringify(next[key]));
}

/**
 * The app behind the listener, swappable as a whole: `reload` builds a complete new app (keys imported, verifiers,
 * clients) from the new configuration and only then swaps one reference, so a request sees either the old or the new
 * configuration, never a mix; requests already running finish on the app they started on.
 */
export function createReloadableApp(running: Config, initial: Fetch, build: (next: Config) => Promise<Fetch>) {
  let current = { config: running, fetch: initial };
  return {
    fetch: ((request, ...rest) => current.fetch(request, ...rest)) as Fetch,
    get config() {
      return current.config;
    },
    async reload(next: Config): Promise<void> {
      const changed = restartOnlyChanges(current.config, next);
      if (changed.length) throw new ReloadError(`${changed.join(', ')} changed: these take effect only after a restart`);
      const fetch = await build(next);
      current = { config: next, fetch };
    },
  };
}
