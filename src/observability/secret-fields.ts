/**
 * Field names whose values are secrets wherever they appear (one level deep, and under common containers): shared by
 * the Node logger (pino redaction paths) and the Worker logger (console-logger.ts).
 */
export const SECRET_FIELDS: readonly string[] = [
  'authorization',
  'cookie',
  'set-cookie',
  'token',
  'access_token',
  'id_token',
  'refresh_token',
  'code',
  'code_verifier',
  'completion',
  'client_secret',
  'clientSecret',
  'sharedSecret',
  'password',
  'jwt',
  'binding',
  'device_code',
  'user_code',
  'csrf',
];

const CENSOR = '[redacted]';

/** The names `redactSecrets` censors: SECRET_FIELDS and the configured secret-bearing headers, lower-cased. */
export function secretNames(extraHeaders: readonly string[] = []): ReadonlySet<string> {
  return new Set([...SECRET_FIELDS, ...extraHeaders].map((name) => name.toLowerCase()));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Error);
}

/** Errors become plain data (an Error's own fields are not enumerable, so it would log as `{}`). */
function serializeError(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return { type: error.name, message: error.message, ...(typeof code === 'string' && { code }), ...(error.stack && { stack: error.stack }) };
}

/**
 * A copy of a log line with secret fields censored — matched case-insensitively at the top level, one level down
 * (which covers headers, params, body) and under `req.headers` — and Errors as plain data. The one redaction of both
 * runtimes (pino's `formatters`, the Worker console logger); a walk over at most three levels of keys, where pino's
 * path redaction cost four times a whole log line.
 */
export function redactSecrets(fields: Record<string, unknown>, secrets: ReadonlySet<string>): Record<string, unknown> {
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
