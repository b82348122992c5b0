import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../observability/logger.ts';

/**
 * `server.workers: N` (DESIGN §3): the primary forks N copies of this very command (`serve --config FILE`); each is
 * an ordinary single-process bridge, and node:cluster shares the listening port among them. Instances are stateless
 * (state lives in the shared store), so any request may land on any worker. The primary serves nothing itself.
 *
 * - A worker that dies after it listened is replaced; one that dies before it ever listened (bad key file, port in
 *   use…) stops the whole cluster with exit code 1, rather than respawning forever.
 * - SIGTERM/SIGINT to the primary forwards SIGTERM to every worker, which drain as a single process does; the
 *   primary exits 0 once all have exited cleanly, 1 if one failed or the grace period ran out (then they are killed).
 */
export function isClusterPrimary(workers: number): boolean {
  return workers > 1 && cluster.isPrimary;
}

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

export function runClusterPrimary(options: { workers: number; logger: Logger; graceMs?: number }): Promise<number> {
  const { workers, logger } = options;
  const graceMs = options.graceMs ?? 15_000;
  const listening = new Set<number>();
  let stopping = false;
  let failed = false;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });

  const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
  const fork = () => cluster.fork();

  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'cluster.stopping', reason }, `stopping ${live().length} worker(s)`);
    const timer = setTimeout(() => {
      logger.error({ event: 'cluster.drain_timeout' }, 'workers did not stop in time: killing them');
      for (const w of live()) w.process.kill('SIGKILL');
      failed = true;
    }, graceMs);
    timer.unref();
    for (const w of live()) w.process.kill('SIGTERM');
    if (live().length === 0) finish(failed ? 1 : 0);
  };

  cluster.on('listening', (worker, address) => {
    listening.add(worker.id);
    logger.info({ event: 'cluster.worker_listening', worker: worker.id, pid: worker.process.pid, port: address.port }, `worker ${worker.id} listening`);
    if (listening.size === workers) logger.info({ event: 'cluster.started', workers }, `${workers} workers listening`);
  });

  cluster.on('exit', (worker, code, signal) => {
    const wasListening = listening.delete(worker.id);
    const clean = code === 0;
    if (stopping) {
      if (!clean) failed = true;
      logger.info({ event: 'cluster.worker_stopped', worker: worker.id, code, signal }, `worker ${worker.id} stopped`);
      if (live().length === 0) {
        logger.info({ event: 'cluster.stopped' }, 'all workers stopped');
        finish(failed ? 1 : 0);
      }
      return;
    }
    if (!wasListening) {
      logger.error({ event: 'cluster.worker_failed', worker: worker.id, code, signal }, 'a worker exited before it listened: stopping');
      failed = true;
      return stop('worker_failed');
    }
    logger.warn({ event: 'cluster.worker_died', worker: worker.id, code, signal }, `worker ${worker.id} died: replacing it`);
    fork();
  });

  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  for (let i = 0; i < workers; i++) fork();
  return done;
}
