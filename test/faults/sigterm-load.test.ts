/**
 * SIGTERM under load (#15 item 2), against the real `jwt-idp-bridge serve` process: keep-alive clients hammering the
 * bridge, plus logins stuck on a Keys Endpoint whose timeout (11 s) is longer than the old fixed 10 s grace period.
 * Every request in flight at the signal completes with an HTTP answer, new connections are refused, exit code 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLegacyIssuer, type LegacyIssuer } from '../helpers/legacy-issuer.ts';
import { pollUntil } from '../helpers/poll-until.ts';
import { freePort } from '../helpers/ports.ts';

const BIN = join(import.meta.dirname, '../../bin/jwt-idp-bridge.js');
const REDIRECT = 'http://localhost:7001/callback';
const KEYS_TIMEOUT_SECONDS = 11;

describe('SIGTERM under load', () => {
  let dir: string;
  let legacy: LegacyIssuer;
  let child: ChildProcess;
  let base: string;
  const lines: string[] = [];
  const logged = (event: string) => lines.some((line) => line.includes(`"event":"${event}"`));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jib-sigterm-'));
    legacy = await startLegacyIssuer({ alg: 'ES256' });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const file = join(dir, 'bridge.yaml');
    await writeFile(
      file,
      `issuer: ${base}
server: { host: 127.0.0.1, port: ${port} }
identityProviders:
  - id: legacy
    issuer: ${legacy.url}
    keysEndpoint: ${legacy.jwksUrl}
    keysCache: { timeoutSeconds: ${KEYS_TIMEOUT_SECONDS} }
    jwtEndpoint: http://127.0.0.1:9/login/jwt
    headerName: x-custom-tkn
    allowAnyAudience: true
    trustedProxy: none
clients:
  - clientId: app
    clientSecret: app-secret-0123456789
    redirectUris: [${REDIRECT}]
    identityProviders: [legacy]
`,
    );
    child = spawn(process.execPath, [BIN, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      lines.push(...parts);
    });
    await pollUntil(() => logged('server.started'), { what: 'server.started', timeoutMs: 15_000 });
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await legacy?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('in-flight requests complete, new connections are refused, exit 0 within the grace period', { timeout: 60_000 }, async () => {
    const agent = new Agent({ keepAliveTimeout: 30_000, connections: 16 });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let stopSending = false;
    const answers: number[] = [];
    const failures: string[] = [];
    const send = async (path: string, init: Parameters<typeof request>[1] = {}) => {
      try {
        const response = await request(`${base}${path}`, { dispatcher: agent, ...init });
        await response.body.dump();
        answers.push(response.statusCode);
        return response;
      } catch (error) {
        failures.push(`${path}: ${(error as { code?: string }).code ?? (error as Error).message}`);
        return undefined;
      }
    };

    // Logins that wait on the hanging Keys Endpoint for its full timeout.
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const started = await send(`/authorize?client_id=app&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&scope=openid&state=s${i}`);
      expect(started?.statusCode).toBe(302);
      ids.push(new URL(String(started!.headers.location)).searchParams.get('authRequestID')!);
    }
    legacy.setMode('hang');
    const token = await legacy.mint({ sub: 'alice' });
    const slow = ids.map((id) => send(`/login/jwt?authRequestID=${id}`, { headers: { 'x-custom-tkn': token } }));
    await legacy.waitForJwksRequests(1);

    // Keep-alive load on the other endpoints.
    const paths = ['/healthz', '/.well-known/openid-configuration', '/jwks', '/userinfo'];
    const workers = Array.from({ length: 12 }, async (_, w) => {
      for (let i = 0; !stopSending; i++) await send(paths[(w + i) % paths.length]!);
    });
    await pollUntil(() => answers.length >= 200, { what: 'load under way', timeoutMs: 20_000 });

    stopSending = true; // everything still running from here on was in flight at the signal
    child.kill('SIGTERM');
    await Promise.all(workers);
    await pollUntil(() => logged('server.stopping'), { what: 'server.stopping' });
    // New connections are refused.
    const fresh = new Agent({ connections: 1 });
    await expect(request(`${base}/healthz`, { dispatcher: fresh })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await fresh.close();

    // The stuck logins finish when the 11 s Keys Endpoint timeout fires (the old 10 s grace cut them off: exit 1).
    const slowAnswers = await Promise.all(slow);
    expect(slowAnswers.map((r) => r?.statusCode)).toEqual([302, 302, 302]);
    for (const answer of slowAnswers) expect(new URL(String(answer!.headers.location)).searchParams.get('error')).toBe('temporarily_unavailable');
    expect(slowAnswers.map((r) => r!.headers.connection)).toEqual(['close', 'close', 'close']);

    expect(failures).toEqual([]);
    expect(answers.filter((status) => status >= 500)).toEqual([]);
    expect(await exited).toBe(0);
    expect(logged('server.stopped')).toBe(true);
    expect(logged('server.drain_timeout')).toBe(false);
    await agent.close();
  });
});
