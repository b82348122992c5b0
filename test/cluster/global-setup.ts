import type { TestProject } from 'vitest/node';
import { startRedisCluster } from '../helpers/redis-topologies.ts';

/** One private 3-master Redis Cluster for the whole `npm run test:cluster` run, stopped by PID at the end. */
export default async function setup(project: TestProject) {
  const cluster = await startRedisCluster(3);
  project.provide('redisClusterNodes', cluster.nodes);
  return () => cluster.close();
}
