import type { LoggerOptions } from './create-logger.ts';
import type { Logger } from './logger.ts';
import { redactSecrets, secretNames } from './secret-fields.ts';

/**
 * The Worker logger: one object per event to the console, which Workers Logs indexes field by field (pino resolves to
 * its browser build on Workers, so it is not used there). Lines look like pino's (`level` label, ISO `time`, `service`,
 * bindings, fields, `msg`) so that queries work the same on both runtimes. Secrets are redacted as on Node
 * (secret-fields.ts `redactSecrets`).
 */
type Method = 'debug' | 'info' | 'warn' | 'error';
export type LogSink = (level: Method, entry: Record<string, unknown>) => void;

const RANK: Record<LoggerOptions['level'], number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** Each level through its console method, so Workers Logs records the level too. */
export const consoleSink: LogSink = (level, entry) => {
  if (level === 'debug') console.debug(entry);
  else if (level === 'info') console.log(entry);
  else if (level === 'warn') console.warn(entry);
  else console.error(entry);
};

export function createConsoleLogger(options: LoggerOptions & { sink?: LogSink; clock?: { now(): number } }): Logger {
  const threshold = RANK[options.level];
  const secrets = secretNames(options.extraHeaders);
  const sink = options.sink ?? consoleSink;
  const now = () => new Date(options.clock?.now() ?? Date.now()).toISOString();

  const make = (bindings: Record<string, unknown>): Logger => {
    const emit = (level: Method) => (fields: Record<string, unknown>, message?: string) => {
      if (RANK[level] < threshold) return;
      const entry: Record<string, unknown> = {
        level,
        time: now(),
        service: 'jwt-idp-bridge',
        ...redactSecrets(bindings, secrets),
        ...redactSecrets(fields, secrets),
      };
      if (message !== undefined) entry.msg = message;
      sink(level, entry);
    };
    return {
      debug: emit('debug'),
      info: emit('info'),
      warn: emit('warn'),
      error: emit('error'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return make({});
}
