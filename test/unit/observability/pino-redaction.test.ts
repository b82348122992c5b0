import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createPinoLogger } from '../../../src/observability/pino.ts';
import { SECRET_FIELDS } from '../../../src/observability/secret-fields.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createPinoLogger({ level: 'info', extraHeaders: ['x-custom-tkn', 'x-waf-secret'], destination }) };
}

describe('pino redaction (the second line of defence)', () => {
  it('redacts every secret field at the top level, one level under any container, and under req.headers', () => {
    const { lines, logger } = capture();
    const names = [...SECRET_FIELDS, 'x-custom-tkn', 'x-waf-secret'];
    const secrets = Object.fromEntries(names.map((name) => [name, `secret-${name}`]));
    logger.info({ event: 'test', ...secrets, headers: secrets, params: secrets, body: secrets, query: secrets, req: { headers: secrets } });
    const [line] = lines;
    const redacted = Object.fromEntries(names.map((name) => [name, '[redacted]']));
    expect(line).toMatchObject({ ...redacted, headers: redacted, params: redacted, body: redacted, query: redacted, req: { headers: redacted } });
    expect(JSON.stringify(line)).not.toContain('secret-');
  });

  it('leaves other fields alone, in child loggers too', () => {
    const { lines, logger } = capture();
    logger.child({ requestId: 'r1' }).info({ event: 'test', clientId: 'app', headers: { 'user-agent': 'curl' }, reason: 'token_expired' });
    expect(lines[0]).toMatchObject({ requestId: 'r1', clientId: 'app', headers: { 'user-agent': 'curl' }, reason: 'token_expired' });
  });
});

describe('pino errors', () => {
  it('logs an Error as its type, message, code and stack, under any key', () => {
    const { lines, logger } = capture();
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    logger.error({ event: 'request.failed', err: error, cause: new TypeError('bad') });
    expect(lines[0]).toMatchObject({
      err: { type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:6379', code: 'ECONNREFUSED', stack: expect.stringContaining('Error: connect') },
      cause: { type: 'TypeError', message: 'bad' },
    });
  });
});
