import { describe, expect, it } from 'vitest';
import type { Logger } from '../../../src/observability/logger.ts';
import { createOutageGuard } from '../../../src/storage/outage.ts';
import { StoreUnavailableError } from '../../../src/storage/port.ts';

function recordingLogger(lines: Record<string, unknown>[]): Logger {
  const log = (fields: Record<string, unknown>) => void lines.push(fields);
  const logger: Logger = { debug: log, info: log, warn: log, error: log, child: () => logger };
  return logger;
}

const fail = (message: string) => () => Promise.reject(new Error(message));

describe('store outage guard (shared by the remote adapters)', () => {
  it('turns a client error into StoreUnavailableError with the safe description only, message and cause alike', async () => {
    const guard = createOutageGuard({ store: 'upstash', logger: recordingLogger([]), describe: (e) => String((e as Error).message).replace('tok-123', '***') });
    const error: unknown = await guard.run('get', fail('refused with tok-123')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe('upstash get failed: refused with ***');
    expect(String((error as Error).cause)).toBe('Error: refused with ***');
  });

  it('logs store.unavailable once per outage and store.ready once on recovery, naming the adapter', async () => {
    const lines: Record<string, unknown>[] = [];
    const guard = createOutageGuard({ store: 'durable-object', logger: recordingLogger(lines) });
    await guard.run('get', fail('overloaded')).catch(() => undefined);
    await guard.run('set', fail('overloaded')).catch(() => undefined);
    expect(await guard.run('get', async () => 'v')).toBe('v');
    await guard.run('get', async () => 'v');
    expect(lines).toEqual([
      { event: 'store.unavailable', store: 'durable-object', operation: 'get', error: 'overloaded' },
      { event: 'store.ready', store: 'durable-object' },
    ]);
  });

  it('with trackCalls: false only down/up move the state, and failFast refuses without calling', async () => {
    const lines: Record<string, unknown>[] = [];
    let calls = 0;
    const guard = createOutageGuard({ store: 'redis', logger: recordingLogger(lines), trackCalls: false, failFast: () => guard.isDown });
    await guard.run('get', fail('WRONGTYPE')).catch(() => undefined);
    expect(lines).toEqual([]); // an error reply is not an outage
    guard.down(new Error('ECONNREFUSED'));
    guard.down(new Error('ECONNREFUSED'));
    await expect(guard.run('get', async () => ++calls)).rejects.toThrow('redis get failed: unreachable');
    expect(calls).toBe(0);
    guard.up();
    expect(await guard.run('get', async () => ++calls)).toBe(1);
    expect(lines.map((l) => [l.event, l.store])).toEqual([
      ['store.unavailable', 'redis'],
      ['store.ready', 'redis'],
    ]);
  });

  it('refuses every call once closed', async () => {
    const guard = createOutageGuard({ store: 'redis', logger: recordingLogger([]) });
    guard.close();
    await expect(guard.run('ping', async () => 'PONG')).rejects.toThrow(new StoreUnavailableError('redis store is closed'));
  });
});
