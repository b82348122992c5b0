import type { DurableObjectNamespace } from '@cloudflare/workers-types';
import type { JWK } from 'jose';
import type { Config } from '../../config/schema.ts';
import type { BridgeStoreObject } from '../../storage/bridge-store-object.ts';

/**
 * What the Worker reads from its bindings (wrangler.toml and docs/cloudflare-workers.md). Only the runtime entry
 * reads these; everything below it receives explicit dependencies.
 */
export interface WorkerEnv {
  /** The configuration (var or secret): the same document as the Node config file, as JSON (or a TOML table in [vars]). */
  BRIDGE_CONFIG?: string | Record<string, unknown>;
  /** Secret: the private signing JWK(s) — one JWK, an array of JWKs or a JWK set `{ "keys": [...] }`; first = active. */
  BRIDGE_SIGNING_KEYS?: string;
  /** Any other var or secret (e.g. UPSTASH_REDIS_REST_TOKEN, WAF_SECRET) is available to `${VAR}` in the config. */
  [binding: string]: unknown;
}

/** A startup problem in the bindings; names the binding and what is expected. */
export class WorkerBindingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerBindingError';
  }
}

export const CONFIG_BINDING = 'BRIDGE_CONFIG';
export const SIGNING_KEYS_BINDING = 'BRIDGE_SIGNING_KEYS';
export const DEFAULT_STORE_BINDING = 'BRIDGE_STORE';

/**
 * The configuration document from BRIDGE_CONFIG: a JSON string (var or secret), or an object (a TOML table or JSON
 * object under `[vars]`). JSON only: the YAML parser would cost ~30 KiB gzip of the Worker bundle; convert a YAML
 * file with `npx yaml --json --single < bridge.yaml`.
 */
export function configDocument(env: WorkerEnv): unknown {
  const value = env[CONFIG_BINDING];
  if (value !== null && typeof value === 'object') return value;
  if (typeof value !== 'string' || !value.trim()) {
    throw new WorkerBindingError(`${CONFIG_BINDING} is not set: put the configuration (JSON) in this var or secret`);
  }
  try {
    return JSON.parse(value);
  } catch {
    // No parser message: it quotes part of the text, which may hold secrets.
    const hint = /^\s*[{[]/.test(value) ? '' : ' (on Workers the configuration is JSON; convert YAML with `npx yaml --json --single < bridge.yaml`)';
    throw new WorkerBindingError(`${CONFIG_BINDING} is not valid JSON${hint}`);
  }
}

/** The string-valued bindings (vars and secrets), for `${VAR}` interpolation in the config. */
export function stringBindings(env: WorkerEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/**
 * The signing keys: the BRIDGE_SIGNING_KEYS secret, or inline `{ jwk }` entries of `signing.keys`. A Worker cannot read
 * files, so `{ file }` entries are refused; keys in both places are refused too (one source of truth for "first = active").
 * None at all → keys are generated and shared through the store (loadSigningKeys warns), as on Node.
 */
export function signingJwks(env: WorkerEnv, config: Config): JWK[] {
  const fromConfig = config.signing.keys.map((entry, i) => {
    if ('file' in entry) {
      throw new WorkerBindingError(`signing.keys[${i}].file: a Worker cannot read files; put the private JWK(s) in the ${SIGNING_KEYS_BINDING} secret instead`);
    }
    return { ...entry.jwk, ...(entry.status && { status: entry.status }) } as JWK;
  });
  const secret = env[SIGNING_KEYS_BINDING];
  if (secret === undefined || secret === '') return fromConfig;
  if (fromConfig.length) throw new WorkerBindingError(`signing keys are set both in ${SIGNING_KEYS_BINDING} and in signing.keys: keep one`);
  if (typeof secret !== 'string') throw new WorkerBindingError(`${SIGNING_KEYS_BINDING} must be a string secret`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    // Never echo the value: it is a private key.
    throw new WorkerBindingError(`${SIGNING_KEYS_BINDING} is not JSON (expected a private JWK, an array of them or a JWK set)`);
  }
  const keys = Array.isArray(parsed)
    ? parsed
    : isObject(parsed) && Array.isArray(parsed.keys)
      ? parsed.keys
      : isObject(parsed) && typeof parsed.kty === 'string'
        ? [parsed]
        : undefined;
  if (!keys?.length || !keys.every(isObject)) {
    throw new WorkerBindingError(`${SIGNING_KEYS_BINDING} must hold a private JWK, a non-empty array of them or a JWK set`);
  }
  return keys as JWK[];
}

/** The Durable Object namespace named by `store.binding`. */
export function durableObjectNamespace(env: WorkerEnv, config: Config): DurableObjectNamespace<BridgeStoreObject> {
  const name = config.store.binding ?? DEFAULT_STORE_BINDING;
  const binding = env[name];
  if (!isObject(binding) || typeof binding.idFromName !== 'function' || typeof binding.get !== 'function') {
    throw new WorkerBindingError(`store.binding: no Durable Object namespace is bound as ${name} (wrangler.toml [[durable_objects.bindings]])`);
  }
  return binding as unknown as DurableObjectNamespace<BridgeStoreObject>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
