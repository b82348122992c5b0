import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitReady } from '../helpers/daemon.ts';
import { pollUntil } from '../helpers/poll-until.ts';
import { freePort } from '../helpers/ports.ts';

const BIN = new URL('../../bin/jwt-idp-bridge.js', import.meta.url).pathname;

/** `jwt-idp-bridge serve` as a real process: SIGHUP with a good config swaps it in; with a bad one the old one stays. */
describe('reload on SIGHUP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jib-reload-'));
  const file = join(dir, 'config.json');
  let child: ChildProcess;
  let output: () => string;
  let exited: Promise<number | null>;
  let base: string;

  const config = (clients: string[], extra: Record<string, unknown> = {}) => ({
    issuer: base,
    server: { host: '127.0.0.1', port: Number(new URL(base).port) },
    store: { type: 'memory' },
    identityProviders: [
      {
        id: 'legacy',
        issuer: 'https://legacy.example',
        keysEndpoint: 'https://legacy.example/keys',
        jwtEndpoint: 'https://apps.example.com/jwt',
        allowAnyAudience: true,
        trustedProxy: 'none',
      },
    ],
    clients: clients.map((clientId) => ({ clientId, redirectUris: ['https://app.example.com/cb'], identityProviders: ['legacy'] })),
    ...extra,
  });
  const authorize = async (clientId: string) =>
    (
      await fetch(
        `${base}/authorize?client_id=${clientId}&redirect_uri=https://app.example.com/cb&response_type=code&scope=openid&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`,
        { redirect: 'manual' },
      )
    ).status;
  const events = (name: string) =>
    output()
      .split('\n')
      .filter((line) => line.includes(`"event":"${name}"`));
  const hangUp = async (event: string) => {
    const seen = events(event).length;
    child.kill('SIGHUP');
    await pollUntil(() => events(event).length > seen, { what: event, timeoutMs: 10_000 });
  };

  beforeAll(async () => {
    base = `http://127.0.0.1:${await freePort()}`;
    writeFileSync(file, JSON.stringify(config(['app'])));
    child = spawn(process.execPath, [BIN, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    ({ output, exited } = await awaitReady(child, { name: 'bridge', ready: /"event":"server\.started"/, timeoutMs: 20_000 }));
  }, 30_000);
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('swaps in a valid new configuration', async () => {
    expect(await authorize('app')).toBe(302);
    expect(await authorize('added')).toBe(400);
    writeFileSync(file, JSON.stringify(config(['app', 'added'])));
    await hangUp('config.reloaded');
    expect(await authorize('added')).toBe(302);
    expect(await authorize('app')).toBe(302);
  });

  it('keeps the running configuration when the new one is invalid, and says why', async () => {
    writeFileSync(file, JSON.stringify({ ...config(['app']), issuer: 'not a url' }));
    await hangUp('config.reload_failed');
    expect(events('config.reload_failed').at(-1)).toMatch(/issuer/);
    expect(await authorize('added')).toBe(302);
  });

  it('refuses changes that need a restart (store, server, logging)', async () => {
    writeFileSync(file, JSON.stringify(config(['app'], { logging: { level: 'debug' } })));
    await hangUp('config.reload_failed');
    expect(events('config.reload_failed').at(-1)).toMatch(/logging changed: these take effect only after a restart/);
    expect(await authorize('added')).toBe(302);
    expect(child.exitCode).toBeNull();
  });
});
