/**
 * Real HAProxy for tests: runs the shipped deploy/haproxy/haproxy.cfg as an operator would (its environment variables
 * set, nothing edited), in master-worker mode in the foreground on a free loopback port, stopped by PID.
 */
import { awaitReady } from './daemon.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from './ports.ts';

export const HAPROXY_BIN = process.env.HAPROXY_BIN ?? '/usr/sbin/haproxy';
export const HAPROXY_CONFIG = new URL('../../deploy/haproxy/haproxy.cfg', import.meta.url).pathname;
/** Under CI the test always runs (`.ci/run` installs haproxy). */
export const hasHaproxy = existsSync(HAPROXY_BIN) || process.env.CI === 'true';

export interface RunningHaproxy {
  url: string;
  pid: number;
  log(): string;
  stop(): Promise<void>;
}

export async function startHaproxy(env: { BRIDGE_UPSTREAM: string; LEGACY_UPSTREAM: string; WAF_SHARED_SECRET?: string }): Promise<RunningHaproxy> {
  const port = await freePort();
  const child: ChildProcess = spawn(HAPROXY_BIN, ['-W', '-db', '-f', HAPROXY_CONFIG], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', WAF_BIND: `127.0.0.1:${port}`, ...env },
  });
  const { exited, output } = await awaitReady(child, { name: 'haproxy', ready: /Loading success/, timeoutMs: 10_000 });
  const pid = child.pid!;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    pid,
    log: output,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          process.kill(pid, 'SIGTERM');
          const escalate = setTimeout(() => child.exitCode === null && process.kill(pid, 'SIGKILL'), 10_000);
          await exited;
          clearTimeout(escalate);
        }
      })()),
  };
}
