import { describe, expect, it } from 'vitest';
import { observeEvents, type EventLevel } from '../../../src/observability/event-hook.ts';
import type { Logger } from '../../../src/observability/logger.ts';

function recordingLogger() {
  const lines: [EventLevel, Record<string, unknown>, string | undefined][] = [];
  const log = (level: EventLevel) => (fields: Record<string, unknown>, message?: string) => lines.push([level, fields, message]);
  const logger: Logger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: () => {
      throw new Error('the base logger builds no children');
    },
  };
  return { lines, logger };
}

describe('observeEvents', () => {
  it('merges child bindings into each line and each observed event, without a child of the base logger', () => {
    const { lines, logger } = recordingLogger();
    const seen: [EventLevel, Readonly<Record<string, unknown>>][] = [];
    const root = observeEvents(logger, [(level, fields) => seen.push([level, fields])]);
    const request = root.child({ requestId: 'r1', idp: 'a' }).child({ clientId: 'app' });
    request.info({ event: 'login.authenticated', idp: 'b', userId: 'u1' }, 'accepted');
    request.debug({ note: 'no event name' });
    expect(lines).toEqual([
      ['info', { requestId: 'r1', idp: 'b', clientId: 'app', event: 'login.authenticated', userId: 'u1' }, 'accepted'],
      ['debug', { requestId: 'r1', idp: 'a', clientId: 'app', note: 'no event name' }, undefined],
    ]);
    expect(seen).toEqual([['info', { requestId: 'r1', idp: 'b', clientId: 'app', event: 'login.authenticated', userId: 'u1' }]]);
  });

  it('an observer that throws neither breaks the line nor the other observers', () => {
    const { lines, logger } = recordingLogger();
    const seen: string[] = [];
    const root = observeEvents(logger, [
      () => {
        throw new Error('broken metrics');
      },
      (_level, fields) => seen.push(String(fields.event)),
    ]);
    root.warn({ event: 'store.error' });
    expect(seen).toEqual(['store.error']);
    expect(lines).toHaveLength(1);
  });
});
