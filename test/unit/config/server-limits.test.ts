import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/parse.ts';
import { shutdownGraceSeconds } from '../../../src/config/server-limits.ts';
import { nodeServerOptions } from '../../../src/runtime/node-http.ts';
import { configProblems, minimalConfig } from '../../helpers/config.ts';

describe('server limits and shutdown grace', () => {
  it('defaults suit an identity endpoint (not Node’s 60 s / 300 s)', () => {
    const { server } = validateConfig(minimalConfig());
    expect(server).toMatchObject({ headersTimeoutSeconds: 10, requestTimeoutSeconds: 30, keepAliveTimeoutSeconds: 5, maxConnections: 1024 });
    expect(nodeServerOptions(server)).toMatchObject({ headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 });
  });

  it('the default grace period outlasts every upstream timeout', () => {
    const config = minimalConfig();
    expect(shutdownGraceSeconds(validateConfig(config))).toBe(20);
    // Before: a fixed 10 s, shorter than a 12 s Keys Endpoint timeout (the process exited 1 with requests reset).
    config.identityProviders[0].keysCache = { timeoutSeconds: 12 };
    const grace = shutdownGraceSeconds(validateConfig(config));
    expect(grace).toBeGreaterThan(12);
    expect(grace).toBe(29);
  });

  it('shutdownGraceSeconds is configurable', () => {
    expect(shutdownGraceSeconds(validateConfig({ ...minimalConfig(), server: { shutdownGraceSeconds: 90 } }))).toBe(90);
  });

  it('refuses a request timeout shorter than the headers timeout, and non-positive values', () => {
    expect(configProblems({ ...minimalConfig(), server: { headersTimeoutSeconds: 20, requestTimeoutSeconds: 10 } })).toEqual([
      'server.requestTimeoutSeconds: must be at least server.headersTimeoutSeconds',
    ]);
    expect(configProblems({ ...minimalConfig(), server: { maxConnections: 0 } })).toHaveLength(1);
    expect(configProblems({ ...minimalConfig(), server: { shutdownGraceSeconds: 0 } })).toHaveLength(1);
  });
});
