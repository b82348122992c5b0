import { ConfigError } from '../config/errors.ts';
import { loadConfigFile } from '../config/load.ts';
import type { Logger } from '../observability/logger.ts';
import type { RunningServer } from '../runtime/node.ts';
import { preflightConfig } from './preflight.ts';

/**
 * SIGHUP → re-read the config file, run the same checks as `config check`, and swap the running app (runtime/reload.ts).
 * Any problem keeps the running configuration and logs `config.reload_failed` with why; success logs `config.reloaded`.
 * Reloads run one at a time. Called with the start's promise before it resolves: a SIGHUP without a listener would
 * end the process, so one during the start waits for it, then reloads.
 */
export function reloadOnSighup(
  starting: Promise<RunningServer>,
  configFile: string,
  env: Record<string, string | undefined>,
  logger: Logger,
): () => Promise<void> {
  let queue = Promise.resolve();
  const reload = () =>
    (queue = queue.then(async () => {
      try {
        const next = await loadConfigFile(configFile, env);
        await preflightConfig(next, configFile);
        await (await starting).reload(next);
        logger.info({ event: 'config.reloaded', file: configFile }, 'configuration reloaded');
      } catch (error) {
        const why =
          error instanceof ConfigError ? error.problems.map((p) => `${p.path ? `${p.path}: ` : ''}${p.message}`).join('; ') : (error as Error).message;
        logger.error({ event: 'config.reload_failed', file: configFile, error: why }, `reload refused, keeping the running configuration: ${why}`);
      }
    }));
  process.on('SIGHUP', () => void reload());
  return reload;
}
