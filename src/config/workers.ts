import type * as z from 'zod';

/**
 * `server.workers > 1` runs several processes: auth requests, codes and users must live in a store they share.
 * The memory store lives inside one process, so a login started on one worker would be unknown on the next.
 */
export function checkWorkers(config: { server: { workers: number }; store: { type: string } }, ctx: z.RefinementCtx): void {
  if (config.server.workers > 1 && config.store.type === 'memory') {
    ctx.addIssue({
      code: 'custom',
      path: ['server', 'workers'],
      message: `${config.server.workers} workers cannot share the memory store (each process would keep its own state): set store.type: redis, or workers: 1`,
    });
  }
}
