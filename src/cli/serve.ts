import { flushCompileCache } from 'node:module';
import { loadConfigFile } from '../config/load.ts';
import { configWarnings } from '../config/warnings.ts';
import { createLogger } from '../observability/create-logger.ts';
import { createPinoLogger } from '../observability/pino.ts';
import { closeOnSignals, startNodeServer } from '../runtime/node.ts';
import { isClusterPrimary, isClusterWorker, runClusterPrimary } from '../runtime/node-cluster.ts';
import type { CliIo } from './main.ts';
import { preflightConfig } from './preflight.ts';

/** `serve`: the bridge with a config file, or the local demo stack without one. Runs until a signal. */
export async function serve(configFile: string | undefined, io: CliIo): Promise<number> {
  if (!configFile) {
    const { startDemo } = await import('../runtime/demo/index.ts');
    const demo = await startDemo({ env: io.env, out: io.out });
    flushCompileCache();
    const stop = () =>
      void demo.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return new Promise<number>(() => undefined);
  }
  const config = await loadConfigFile(configFile, io.env);
  // The same checks as `config check`, before anything listens (#9.8).
  await preflightConfig(config, configFile);
  const logger = createLogger(createPinoLogger, config);
  if (!isClusterWorker()) for (const line of configWarnings(config)) logger.warn({ event: 'config.opt_out' }, line);
  // server.workers > 1: this process only supervises; each worker runs this same command (node-cluster.ts).
  if (isClusterPrimary(config.server.workers)) return runClusterPrimary({ workers: config.server.workers, logger });
  const server = await startNodeServer({ config, configFile, logger });
  closeOnSignals(server, logger);
  // Everything serving needs is loaded: keep it for the next start now, not only at a clean exit (bin/jwt-idp-bridge.js).
  flushCompileCache();
  (await import('./reload.ts')).reloadOnSighup(server, configFile, io.env, logger);
  return new Promise<number>(() => undefined);
}
