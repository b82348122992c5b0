/**
 * Types of the `cloudflare:workers` module, taken from the module form of @cloudflare/workers-types (no global
 * declarations), so that Worker code type-checks in the same program as the Node code without the Workers globals
 * clashing with the DOM/Node ones.
 */
declare module 'cloudflare:workers' {
  import type { CloudflareWorkersModule } from '@cloudflare/workers-types';

  export const DurableObject: typeof CloudflareWorkersModule.DurableObject;
  export type DurableObject<Env = unknown> = CloudflareWorkersModule.DurableObject<Env>;
  /** The bindings of the Worker (vars, secrets, Durable Object namespaces). */
  export const env: Record<string, unknown>;
}
