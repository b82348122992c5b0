import { describe, expect, it, vi } from 'vitest';
import { createConsoleLogger, type LogSink } from '../../src/observability/console-logger.ts';

/** The Worker's logger (one object per event to the console, for Workers Logs). */
function recording(level: Parameters<typeof createConsoleLogger>[0]['level'], extraHeaders?: string[]) {
  const lines: { level: string; entry: Record<string, unknown> }[] = [];
  const sink: LogSink = (lvl, entry) => void lines.push({ level: lvl, entry });
  const logger = createConsoleLogger({ level, sink, clock: { now: () => Date.UTC(2026, 0, 2, 3, 4, 5) }, ...(extraHeaders && { extraHeaders }) });
  return { logger, lines };
}

describe('console logger', () => {
  it('writes pino-shaped objects: level label, ISO time, service, bindings, fields, msg', () => {
    const { logger, lines } = recording('info');
    logger.child({ requestId: 'r1' }).info({ event: 'login.succeeded', userId: 'u1' }, 'signed in');
    expect(lines).toEqual([
      {
        level: 'info',
        entry: {
          level: 'info',
          time: '2026-01-02T03:04:05.000Z',
          service: 'jwt-idp-bridge',
          requestId: 'r1',
          event: 'login.succeeded',
          userId: 'u1',
          msg: 'signed in',
        },
      },
    ]);
  });

  it('filters by level, and silent writes nothing', () => {
    const { logger, lines } = recording('warn');
    logger.debug({ event: 'a' });
    logger.info({ event: 'b' });
    logger.warn({ event: 'c' });
    logger.error({ event: 'd' });
    expect(lines.map((l) => [l.level, l.entry.event])).toEqual([
      ['warn', 'c'],
      ['error', 'd'],
    ]);
    const silent = recording('silent');
    silent.logger.error({ event: 'e' });
    expect(silent.lines).toEqual([]);
  });

  it('redacts secrets at the top level, one level down, under req.headers, and configured header names', () => {
    const { logger, lines } = recording('info', ['x-custom-tkn', 'x-waf-secret']);
    logger.child({ authorization: 'Bearer a' }).info({
      event: 'x',
      code: 'c',
      client: { client_secret: 's', clientId: 'app' },
      headers: { cookie: 'k=v', 'X-Custom-Tkn': 'jwt', accept: 'text/html' },
      req: { headers: { 'x-waf-secret': 'w', host: 'h' } },
      body: { refresh_token: 'r' },
    });
    const text = JSON.stringify(lines);
    for (const secret of ['Bearer a', '"c"', '"s"', 'k=v', '"jwt"', '"w"', '"r"']) expect(text).not.toContain(secret);
    expect(lines[0]!.entry).toMatchObject({ client: { clientId: 'app' }, headers: { accept: 'text/html' }, req: { headers: { host: 'h' } } });
  });

  it('logs errors as data (type, message, stack), not as {}', () => {
    const { logger, lines } = recording('info');
    logger.error({ event: 'request.failed', err: new TypeError('boom') });
    expect(lines[0]!.entry.err).toMatchObject({ type: 'TypeError', message: 'boom' });
    expect(String((lines[0]!.entry.err as { stack: string }).stack)).toContain('boom');
  });

  it('sends each level to its console method by default', () => {
    const spies = (['debug', 'log', 'warn', 'error'] as const).map((method) => vi.spyOn(console, method).mockImplementation(() => undefined));
    const logger = createConsoleLogger({ level: 'debug' });
    logger.debug({ event: 'd' });
    logger.info({ event: 'i' });
    logger.warn({ event: 'w' });
    logger.error({ event: 'e' });
    expect(spies.map((spy) => (spy.mock.calls[0]?.[0] as { event: string } | undefined)?.event)).toEqual(['d', 'i', 'w', 'e']);
  });
});
