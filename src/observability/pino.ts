import { pino, type DestinationStream } from 'pino';
import type { LoggerOptions } from './create-logger.ts';
import type { Logger } from './logger.ts';
import { redactSecrets, secretNames } from './secret-fields.ts';

/**
 * The Node logger: pino JSON lines with stable `event` names. Redaction is a second line of defence: the code
 * never logs secrets on purpose, and `redactSecrets` catches them if a header or body object is ever logged.
 * `extraHeaders` are the configured legacy and shared-secret header names.
 */
export function createPinoLogger(options: LoggerOptions & { destination?: DestinationStream }): Logger {
  const secrets = secretNames(options.extraHeaders);
  const logger = pino(
    {
      level: options.level,
      base: { service: 'jwt-idp-bridge' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // redactSecrets has made every Error plain data already (pino's own err serializer would call it an "Object").
      serializers: { err: (value: unknown) => value },
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redactSecrets(bindings, secrets),
        log: (fields) => redactSecrets(fields, secrets),
      },
    },
    options.destination,
  );
  return logger as unknown as Logger;
}
