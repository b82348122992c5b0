import type { LoggerOptions } from './create-logger.ts';
import type { Logger } from './logger.ts';
import { SECRET_FIELDS } from './secret-fields.ts';

/**
 * The Worker logger: one object per event to the console, which Workers Logs indexes field by field (pino resolves to
 * its browser build on Workers, so it is not used there). Lines look like pino's (`level` label, ISO `time`, `service`,
 * bindings, fields, `msg`) so that queries work the same on both runtimes. Secrets are redacted like pino's paths do:
 * a secret field at the top level, one level deep, and under `headers`, `req.headers`, `params` and `body`.
 */
type Method = 'debug' | 'info' | 'warn' | 'error';
export type LogSink = (level: Method, entry: Record<string, unknown>) => void;

const RANK: Record<LoggerOptions['level'], number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
const CENSOR = '[redacted]';

/** Each level through its console method, so Workers Logs records the level too. */
export const consoleSink: LogSink = (level, entry) => {
  if (level === 'debug') console.debug(entry);
  else if (level === 'info') console.log(entry);
  else if (level === 'warn') console.warn(entry);
  else console.error(entry);
};

export function createConsoleLogger(options: LoggerOptions & { sink?: LogSink; clock?: { now(): number } }): Logger {
  const threshold = RANK[options.level];
  const secrets = new Set([...SECRET_FIELDS, ...(options.extraHeaders ?? [])].map((name) => name.toLowerCase()));
  const sink = options.sink ?? consoleSink;
  const now = () => new Date(options.clock?.now() ?? Date.now()).toISOString();

  const make = (bindings: Record<string, unknown>): Logger => {
    const emit = (level: Method) => (fields: Record<string, unknown>, message?: string) => {
      if (RANK[level] < threshold) return;
      const entry: Record<string, unknown> = { level, time: now(), service: 'jwt-idp-bridge', ...redact(bindings, secrets), ...redact(fields, secrets) };
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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Error);
}

/** Errors become plain data (an Error's own fields are not enumerable, so it would log as `{}`). */
function serializeError(error: Error): Record<string, unknown> {
  return { type: error.name, message: error.message, ...(error.stack && { stack: error.stack }) };
}

/** A copy with secret fields censored at the top level and one level down (which covers headers, params, body). */
function redact(fields: Record<string, unknown>, secrets: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (secrets.has(key.toLowerCase())) out[key] = CENSOR;
    else if (value instanceof Error) out[key] = serializeError(value);
    else if (isPlainObject(value)) out[key] = redactLevel(value, secrets, key === 'req');
    else out[key] = value;
  }
  return out;
}

function redactLevel(value: Record<string, unknown>, secrets: ReadonlySet<string>, isRequest: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (secrets.has(key.toLowerCase())) out[key] = CENSOR;
    else if (inner instanceof Error) out[key] = serializeError(inner);
    else if (isRequest && key === 'headers' && isPlainObject(inner)) out[key] = redactLevel(inner, secrets, false);
    else out[key] = inner;
  }
  return out;
}
