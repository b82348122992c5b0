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

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jib-serve-'));
    legacy = await startLegacyIssuer({ alg: 'ES256' });
    port = await freePort();
    const file = join(dir, 'bridge.yaml');
    await writeFile(
      file,
      `issuer: http://127.0.0.1:${port}
server: { host: 127.0.0.1, port: ${port} }
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
});
