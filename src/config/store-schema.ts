import * as z from 'zod';
import { redisTopologyFields } from './redis-topology-schema.ts';
import { checkSecureUrl } from './urls.ts';

/**
 * `store:` (DESIGN §3, §7): where the bridge keeps its state. memory (one process), redis (ioredis), and the Cloudflare
 * Workers stores durable-object and upstash (docs/cloudflare-workers.md; upstash also works on Node).
 */
export const storeSchema = z
  .object({
    // durable-object and upstash are the Cloudflare Workers stores (docs/cloudflare-workers.md); upstash also works on Node.
    type: z.enum(['memory', 'redis', 'durable-object', 'upstash']).default('memory'),
    url: z.string().optional(),
    keyPrefix: z.string().default('jib:'),
    /** upstash: the REST token (normally `${UPSTASH_REDIS_REST_TOKEN}`, a Worker secret). */
    token: z.string().min(1).optional(),
    /** durable-object: the binding name of the Durable Object namespace (default BRIDGE_STORE). */
    binding: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a binding name')
      .optional(),
    /** durable-object: how many objects the keys are spread over (default 32); fixed for the life of the data. */
    shards: z.number().int().min(1).max(1024).optional(),
    /** redis: cluster | sentinel (instead of url), username/password, tls, waitForReplicas (redis-topology-schema.ts). */
    ...redisTopologyFields,
  })
  .strict()
  .prefault({})
  .superRefine((store, ctx) => {
    const only = (key: 'url' | 'token' | 'binding' | 'shards', types: string[]) => {
      if (store[key] !== undefined && !types.includes(store.type)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `applies only to store.type ${types.map((t) => `"${t}"`).join(' or ')}` });
      }
    };
    only('url', ['redis', 'upstash']);
    only('token', ['upstash']);
    only('binding', ['durable-object']);
    only('shards', ['durable-object']);
    for (const key of ['cluster', 'sentinel', 'username', 'password', 'tls', 'waitForReplicas'] as const) {
      if (store[key] !== undefined && store.type !== 'redis') ctx.addIssue({ code: 'custom', path: [key], message: 'applies only to store.type "redis"' });
    }
    const topologies = (['url', 'cluster', 'sentinel'] as const).filter((key) => store[key] !== undefined);
    if (store.type === 'redis' && topologies.length > 1) {
      ctx.addIssue({ code: 'custom', path: [topologies[1]!], message: `give one of url, cluster or sentinel, not ${topologies.join(' and ')}` });
    }
    if (store.type === 'redis' && store.cluster && new Set(store.cluster.nodes.map((node) => node.split(':')[0])).size > 1) {
      ctx.addIssue({ code: 'custom', path: ['cluster', 'nodes'], message: 'must all be redis:// or all rediss://' });
    }
    if (store.type === 'redis' && store.sentinel && new Set(store.sentinel.sentinels.map((node) => node.split(':')[0])).size > 1) {
      ctx.addIssue({ code: 'custom', path: ['sentinel', 'sentinels'], message: 'must all be redis:// or all rediss://' });
    }
    if (store.type === 'redis' && !store.url && !store.cluster && !store.sentinel) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'is required when store.type is "redis"' });
    } else if (store.type === 'upstash' && !store.url) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'is required when store.type is "upstash"' });
    }
    if (store.type === 'redis' && store.url && !/^rediss?:\/\//.test(store.url)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'must be a redis:// or rediss:// URL' });
    }
    if (store.type === 'upstash' && store.url) {
      const problem = checkSecureUrl(store.url, { allowQuery: false });
      if (problem) ctx.addIssue({ code: 'custom', path: ['url'], message: problem });
    }
    if (store.type === 'upstash' && !store.token) {
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'is required when store.type is "upstash"' });
    }
  });
