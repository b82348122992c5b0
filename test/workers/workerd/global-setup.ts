import type { TestProject } from 'vitest/node';
import { startUpstashStandIn } from '../../helpers/upstash-rest.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    upstash: { url: string; token: string };
  }
}

/** Runs in Node before the workerd tests: the Upstash REST stand-in (forwarding to the local Redis) they call over loopback. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const standIn = await startUpstashStandIn({ redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
  project.provide('upstash', { url: standIn.url, token: standIn.token });
  return () => standIn.close();
}
