import * as z from 'zod';
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
    if ((store.type === 'redis' || store.type === 'upstash') && !store.url) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: `is required when store.type is "${store.type}"` });
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
