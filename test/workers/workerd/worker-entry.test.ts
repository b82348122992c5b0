import { env } from 'cloudflare:workers';
import type { ExecutionContext } from '@cloudflare/workers-types';
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { buildWorkerBridge } from '../../../src/runtime/worker/bridge.ts';
import { createWorkerHandler, type WorkerEnv } from '../../../src/runtime/worker/index.ts';

/** The Worker entry inside workerd, with the real Durable Object binding of wrangler.toml and config from bindings. */
const ISSUER = 'https://accounts.example.com';

function bridgeConfig(overrides: Record<string, unknown> = {}) {
  return {
    issuer: ISSUER,
    store: { type: 'durable-object', keyPrefix: `test:${crypto.randomUUID()}:`, shards: 2 },
    logging: { level: 'error' },
    identityProviders: [
      {
        id: 'legacy',
        issuer: 'https://issuer.example.internal',
        keysEndpoint: 'https://issuer.example.internal/keys',
        jwtEndpoint: 'https://apps.example.com/existing/auth-new',
        headerName: 'x-custom-tkn',
        allowAnyAudience: true,
        trustedProxy: 'none',
      },
    ],
    clients: [{ clientId: 'new-app', clientSecret: '${NEW_APP_SECRET}', redirectUris: ['https://new.example.com/callback'], identityProviders: ['legacy'] }],
    ...overrides,
  };
}

function workerEnv(config: unknown, extra: Record<string, unknown> = {}): WorkerEnv {
  return { ...env, BRIDGE_CONFIG: typeof config === 'string' ? config : JSON.stringify(config), NEW_APP_SECRET: 'new-app-secret-0123456789', ...extra };
}

function executionContext(): ExecutionContext & { waited: Promise<unknown>[] } {
  const waited: Promise<unknown>[] = [];
  return { waited, waitUntil: (p: Promise<unknown>) => void waited.push(p), passThroughOnException() {}, props: {} } as unknown as ExecutionContext & {
    waited: Promise<unknown>[];
  };
}

const get = (handler: ReturnType<typeof createWorkerHandler>, bindings: WorkerEnv, path: string) =>
  handler.fetch(new Request(`${ISSUER}${path}`), bindings, executionContext());

describe('worker entry (workerd)', () => {
  it('serves discovery, JWKS and readiness from a JSON config var, with the Durable Object store', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'edge-1', alg: 'RS256' };
    const bindings = workerEnv(bridgeConfig(), { BRIDGE_SIGNING_KEYS: JSON.stringify([jwk]) });
    const handler = createWorkerHandler();

    const discovery = await get(handler, bindings, '/.well-known/openid-configuration');
    expect(discovery.status).toBe(200);
    expect(await discovery.json()).toMatchObject({ issuer: ISSUER, jwks_uri: `${ISSUER}/jwks` });
    const jwks = (await (await get(handler, bindings, '/jwks')).json()) as { keys: { kid: string; d?: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(['edge-1']);
    expect(jwks.keys[0]!.d).toBeUndefined();
    const ready = await get(handler, bindings, '/readyz');
    expect(await ready.json()).toEqual({ status: 'ready', keys: 1 });
  });

  it('accepts the config as an object var (a TOML table under [vars])', async () => {
    const response = await get(createWorkerHandler(), { ...workerEnv(''), BRIDGE_CONFIG: bridgeConfig() }, '/healthz');
    expect(response.status).toBe(200);
  });

  it('builds the bridge once per isolate, however many requests arrive, even concurrently', async () => {
    const build = vi.fn(buildWorkerBridge);
    const handler = createWorkerHandler(build);
    const bindings = workerEnv(bridgeConfig());
    const responses = await Promise.all(Array.from({ length: 5 }, () => get(handler, bindings, '/healthz')));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    await get(handler, bindings, '/jwks');
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('without signing keys, isolates share the keys generated into the store', async () => {
    const config = bridgeConfig();
    const [a, b] = [createWorkerHandler(), createWorkerHandler()]; // two isolates' worth of state
    const jwksA = await (await get(a, workerEnv(config), '/jwks')).json();
    const jwksB = await (await get(b, workerEnv(config), '/jwks')).json();
    expect(jwksB).toEqual(jwksA);
  });

  it('answers 500 without details on a bad config, logs why, and retries on the next request', async () => {
    const errors: unknown[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((entry: unknown) => void errors.push(entry));
    const build = vi.fn(buildWorkerBridge);
    const handler = createWorkerHandler(build);
    const broken = workerEnv(bridgeConfig({ issuer: 'http://accounts.example.com' }));
    const response = await get(handler, broken, '/healthz');
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).toContain('server_error');
    expect(body).not.toContain('issuer');
    expect(JSON.stringify(errors)).toContain('issuer: must be an https URL');
    await get(handler, broken, '/healthz');
    expect(build).toHaveBeenCalledTimes(2);
    spy.mockRestore();
  });

  it('refuses stores and bindings that cannot work on Workers, naming the fix', async () => {
    const reasons: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((entry: unknown) => void reasons.push(JSON.stringify(entry)));
    const cases: [WorkerEnv, RegExp][] = [
      [workerEnv(bridgeConfig({ store: { type: 'memory' } })), /per isolate/],
      [workerEnv(bridgeConfig({ store: { type: 'redis', url: 'redis://127.0.0.1:6379' } })), /upstash/],
      [workerEnv(bridgeConfig({ store: { type: 'durable-object', binding: 'MISSING' } })), /no Durable Object namespace is bound as MISSING/],
      [workerEnv(bridgeConfig({ signing: { keys: [{ file: 'key.json' }] } })), /cannot read files/],
      [workerEnv('issuer: https://accounts.example.com'), /not valid JSON.*npx yaml/],
      [workerEnv(bridgeConfig(), { BRIDGE_SIGNING_KEYS: '{"d": "not-json' }), /BRIDGE_SIGNING_KEYS is not JSON/],
      [{ ...env }, /BRIDGE_CONFIG is not set/],
    ];
    for (const [bindings, reason] of cases) {
      reasons.length = 0;
      expect((await get(createWorkerHandler(), bindings, '/healthz')).status).toBe(500);
      expect(reasons.join('\n')).toMatch(reason);
    }
    expect(reasons.join('\n')).not.toContain('not-json');
    spy.mockRestore();
  });
});
