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
