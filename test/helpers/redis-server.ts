/**
 * A private redis-server for tests that stop and restart the store: its own loopback port and temp folder, started in
 * the foreground and stopped by PID. `stop()` then `start()` brings it back on the same port (an outage and recovery).
 *
 *   const redis = await startRedisServer(); redis.url; await redis.stop(); await redis.start(); await redis.close();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awaitReady } from './daemon.ts';
import { freePort } from './ports.ts';

export const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

export interface TestRedis {
  url: string;
  port: number;
  /** Stops the process (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

export async function startRedisServer(extraArgs: string[] = []): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'jib-redis-'));
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> | undefined;
  const start = async () => {
    const spawned = spawn(REDIS_SERVER_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = spawned;
    ({ exited } = await awaitReady(spawned, { name: 'redis-server', ready: /Ready to accept connections/, timeoutMs: 10_000 }));
  };
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
