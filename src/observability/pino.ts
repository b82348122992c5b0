import { pino, type DestinationStream } from 'pino';
import type { LoggerOptions } from './create-logger.ts';
import type { Logger } from './logger.ts';
import { SECRET_FIELDS } from './secret-fields.ts';

/**
 * The Node logger: pino JSON lines with stable `event` names. Redaction is a second line of defence: the code
 * never logs secrets on purpose, and these paths catch them if a header or body object is ever logged.
 * `extraHeaders` are the configured legacy and shared-secret header names.
 */
export function createPinoLogger(options: LoggerOptions & { destination?: DestinationStream }): Logger {
  const names = [...new Set([...SECRET_FIELDS, ...(options.extraHeaders ?? [])])];
  const paths = names.flatMap((name) => {
    const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : `["${name}"]`;
    const join = (prefix: string) => (key.startsWith('[') ? `${prefix}${key}` : `${prefix}.${key}`);
    // `*.name` covers one level under any key (headers, params, body, …); req.headers is the one deeper container.
    return [key, join('*'), join('req.headers')];
  });
  const logger = pino(
    {
      level: options.level,
      base: { service: 'jwt-idp-bridge' },
      redact: { paths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
  return logger as unknown as Logger;
}
