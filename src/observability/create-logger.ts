import type { Config } from '../config/schema.ts';
import type { Logger } from './logger.ts';

export type LogLevel = Config['logging']['level'];

/** What every logger backend takes: the level, and header names to redact beside SECRET_FIELDS. */
export interface LoggerOptions {
  level: LogLevel;
  extraHeaders?: string[];
}

/** A logger implementation: pino on Node (pino.ts), console JSON on Workers (console-logger.ts). */
export type LoggerBackend<Extra extends object> = (options: LoggerOptions & Extra) => Logger;

/** Secret-bearing header names from the config (legacy JWT and shared-secret headers), for log redaction. */
export function configuredHeaderNames(config: Pick<Config, 'identityProviders'>): string[] {
  return config.identityProviders.flatMap((idp) => [idp.headerName, ...(idp.trustedProxy ? [idp.trustedProxy.sharedSecretHeader] : [])]);
}

/**
 * The one logger factory of every entry (Node server, CLI, demo, Worker): the level and the redacted header names
 * come from validated configuration — or just a level, before any configuration could be read. The entry picks the
 * backend, so the Worker bundle never imports pino; `extra` reaches the backend as is (a pino destination, a sink).
 */
export function createLogger<Extra extends object = object>(
  backend: LoggerBackend<Extra>,
  settings: Pick<Config, 'logging' | 'identityProviders'> | { level: LogLevel },
  extra?: Extra,
): Logger {
  const options: LoggerOptions =
    'logging' in settings ? { level: settings.logging.level, extraHeaders: configuredHeaderNames(settings) } : { level: settings.level };
  return backend({ ...options, ...extra } as LoggerOptions & Extra);
}
