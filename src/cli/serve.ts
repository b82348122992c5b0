import { flushCompileCache } from 'node:module';
import { loadConfigFile } from '../config/load.ts';
import { shutdownGraceSeconds } from '../config/server-limits.ts';
import { configWarnings } from '../config/warnings.ts';
import { createLogger } from '../observability/create-logger.ts';
import { createPinoLogger } from '../observability/pino.ts';
import { closeOnSignals, startNodeServer } from '../runtime/node.ts';
import { isClusterPrimary, isClusterWorker, runClusterPrimary } from '../runtime/node-cluster.ts';
import type { CliIo } from './main.ts';
import { preflightConfig } from './preflight.ts';
import { reloadOnSighup } from './reload.ts';

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
  const warn = () => {
    if (!isClusterWorker()) for (const line of configWarnings(config)) logger.warn({ event: 'config.opt_out' }, line);
  };
  // server.workers > 1: this process only supervises; each worker runs this same command (node-cluster.ts).
  if (isClusterPrimary(config.server.workers)) {
    warn();
    return runClusterPrimary({ workers: config.server.workers, logger });
  }
  // Signals are handled from the start on (closeOnSignals, reloadOnSighup): whoever reads a line of this process's log,
  // a warning or server.started, and signals it, sees it stop or reload cleanly. The warnings still come before it
  // listens (that is after an await).
  const starting = startNodeServer({ config, configFile, logger });
  closeOnSignals(starting, logger, shutdownGraceSeconds(config) * 1000);
  reloadOnSighup(starting, configFile, io.env, logger);
  warn();
  await starting;
  // Everything serving needs is loaded: keep it for the next start now, not only at a clean exit (bin/jwt-idp-bridge.js).
  flushCompileCache();
  return new Promise<number>(() => undefined);
}
