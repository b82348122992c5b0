import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLegacyIssuer, type LegacyIssuer } from '../helpers/legacy-issuer.ts';
import { freePort } from '../helpers/ports.ts';

const BIN = join(import.meta.dirname, '../../bin/jwt-idp-bridge.js');

/** Resolves with the first stdout JSON line whose `event` matches. */
function waitForEvent(child: ChildProcess, lines: string[], event: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const check = () => {
      for (const line of lines) {
        try {
          const parsed = JSON.parse(line);
          if (parsed.event === event) return resolve(parsed);
        } catch {
          // not a log line
        }
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ${event}: ${lines.join('\n')}`)));
    check();
  });
}

describe('jwt-idp-bridge serve (Node runtime)', () => {
  let dir: string;
  let legacy: LegacyIssuer;
  let child: ChildProcess;
  let port: number;
  const lines: string[] = [];

  /** A config on `at` with two documented opt-outs (allowAnyAudience, trustedProxy: none): serve warns before it listens. */
  const writeConfig = async (at: number) => {
    const file = join(dir, `bridge-${at}.yaml`);
    await writeFile(
      file,
      `issuer: http://127.0.0.1:${at}
server: { host: 127.0.0.1, port: ${at} }
identityProviders:
  - id: legacy
    issuer: ${legacy.url}
    keysEndpoint: ${legacy.jwksUrl}
    keysCache: { timeoutSeconds: 2 }
    jwtEndpoint: http://127.0.0.1:9/login/jwt
    headerName: x-custom-tkn
    allowAnyAudience: true
    trustedProxy: none
clients:
  - clientId: app
    clientSecret: "\${APP_SECRET}"
    redirectUris: [http://localhost:7001/callback]
    identityProviders: [legacy]
`,
    );
    return file;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jib-serve-'));
    legacy = await startLegacyIssuer({ alg: 'ES256' });
    port = await freePort();
    const file = await writeConfig(port);
    child = spawn(process.execPath, [BIN, 'serve', '--config', file], {
      env: { ...process.env, APP_SECRET: 'app-secret-0123456789' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      lines.push(...parts);
    });
    await waitForEvent(child, lines, 'server.started');
  });

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await legacy?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('on SIGTERM stops accepting, finishes the in-flight request, and exits 0', async () => {
    const base = `http://127.0.0.1:${port}`;
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);

    const authorize = await fetch(
      `${base}/authorize?client_id=app&redirect_uri=${encodeURIComponent('http://localhost:7001/callback')}&response_type=code&scope=openid&state=s1`,
      { redirect: 'manual' },
    );
    const authRequestId = new URL(authorize.headers.get('location')!).searchParams.get('authRequestID')!;

    // The legacy Keys Endpoint hangs, so this request stays in flight until the 2 s fetch timeout.
    legacy.setMode('hang');
    const inFlight = fetch(`${base}/login/jwt?authRequestID=${authRequestId}`, {
      headers: { 'x-custom-tkn': await legacy.mint({ sub: 'alice' }) },
      redirect: 'manual',
    });
    await legacy.waitForJwksRequests(1);

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await waitForEvent(child, lines, 'server.stopping');
    // A new connection is refused (fetch's pooled keep-alive connections may still carry one answer, Connection: close).
    const fresh = new Agent({ connections: 1 });
    await expect(request(`${base}/healthz`, { dispatcher: fresh })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await fresh.close();

    const response = await inFlight;
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('temporarily_unavailable');
    expect(location.searchParams.get('state')).toBe('s1');

    expect(await exited).toBe(0);
    expect(lines.some((line) => line.includes('"event":"server.stopped"'))).toBe(true);
  });

  it('a SIGTERM while it starts waits for the start, then stops cleanly (exit 0, not killed by the signal)', async () => {
    // The opt-out warnings are logged while the bridge starts, after its signal handlers are in place: a SIGTERM sent
    // on the first one arrives before it listens. Without a handler yet, the kernel would end it by the signal.
    const starting = spawn(process.execPath, [BIN, 'serve', '--config', await writeConfig(await freePort())], {
      env: { ...process.env, APP_SECRET: 'app-secret-0123456789' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events: string[] = [];
    let buffer = '';
    let sent = false;
    starting.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const part of parts) {
        try {
          events.push(String((JSON.parse(part) as { event?: string }).event));
        } catch {
          // not a log line
        }
      }
      if (!sent && events.includes('config.opt_out')) {
        sent = true;
        starting.kill('SIGTERM');
      }
    });
    const closed = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      starting.once('close', (code, signal) => done({ code, signal })),
    );
    expect(closed).toEqual({ code: 0, signal: null });
    expect(events.indexOf('server.signal')).toBeGreaterThan(events.indexOf('config.opt_out'));
    expect(events.slice(events.indexOf('server.signal'))).toEqual(expect.arrayContaining(['server.started', 'server.stopping', 'server.stopped']));
    expect(events).not.toContain('server.drain_timeout');
  });
});
