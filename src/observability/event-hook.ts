import type { Logger } from './logger.ts';

export type EventLevel = 'debug' | 'info' | 'warn' | 'error';

/** Receives every named event (fields merged over the child bindings: requestId, clientId, idp, …). */
export type EventObserver = (level: EventLevel, fields: Readonly<Record<string, unknown>>) => void;

/**
 * A logger that also hands each named event (`event` field) to observers, whatever the log level: metrics and the
 * audit sink are derived from the log events in this one place instead of calls sprinkled through the handlers.
 * Runtime-neutral. An observer that throws never breaks the request: the error is dropped.
 *
 * Children only collect bindings, merged into each line as it is written: the base logger (pino) never builds a child
 * of its own, which it did twice per request (serialising and redacting the bindings) for usually one line.
 */
export function observeEvents(logger: Logger, observers: readonly EventObserver[], bindings: Record<string, unknown> = {}): Logger {
  if (observers.length === 0) return logger;
  const bound = Object.keys(bindings).length > 0;
  const emit = (level: EventLevel) => (fields: Record<string, unknown>, message?: string) => {
    const merged = bound ? { ...bindings, ...fields } : fields;
    if (typeof fields.event === 'string') {
      for (const observer of observers) {
        try {
          observer(level, merged);
        } catch {
          // Observability must not take the login path down with it.
        }
      }
    }
    logger[level](merged, message);
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (more) => observeEvents(logger, observers, { ...bindings, ...more }),
  };
}
