/**
 * A redis-server of the test's own (free loopback port, temp folder) that a fault test may stop and start again:
 * the shared Redis on 6379 is never touched. Append-only file on, so a restart keeps what was written (the test can
 * then check that nothing was half-written); stopped by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awaitReady } from './daemon.ts';
import { freePort } from './ports.ts';

export interface VictimRedis {
  url: string;
  port: number;
  /** Stops the server (SIGKILL: a crash, nothing flushed beyond what appendfsync always wrote). */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder. */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that accepts connections but answers nothing (a frozen host). */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function startVictimRedis(): Promise<VictimRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'jib-victim-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> | undefined;
  async function start() {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    ({ exited } = await awaitReady(child, { name: 'redis-server', ready: /Ready to accept connections/, timeoutMs: 10_000 }));
  }
  async function stop() {
    child?.kill('SIGCONT'); // a frozen process does not act on SIGKILL until continued on some systems
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    child = undefined;
  }
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
