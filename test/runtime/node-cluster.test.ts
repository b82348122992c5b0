import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLegacyIssuer, type LegacyIssuer } from '../helpers/legacy-issuer.ts';
import { pollUntil } from '../helpers/poll-until.ts';
import { freePort } from '../helpers/ports.ts';
import { deleteKeys, REDIS_URL } from '../helpers/stack.ts';

const BIN = join(import.meta.dirname, '../../bin/jwt-idp-bridge.js');
const CALLBACK = 'http://localhost:7001/callback';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('jwt-idp-bridge serve with server.workers: 2 (node:cluster, Redis store)', () => {
  let dir: string;
  let legacy: LegacyIssuer;
  let child: ChildProcess;
  let base: string;
  const keyPrefix = `test:cluster:${crypto.randomUUID()}:`;
  const events: Record<string, unknown>[] = [];
  const of = (name: string) => events.filter((e) => e.event === name);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jib-cluster-'));
    legacy = await startLegacyIssuer({ alg: 'ES256' });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const file = join(dir, 'bridge.yaml');
    await writeFile(
      file,
      `issuer: ${base}
server: { host: 127.0.0.1, port: ${port}, workers: 2 }
store: { type: redis, url: "${REDIS_URL}", keyPrefix: "${keyPrefix}" }
identityProviders:
  - id: legacy
    issuer: ${legacy.url}
    keysEndpoint: ${legacy.jwksUrl}
    jwtEndpoint: http://127.0.0.1:9/login/jwt
    headerName: x-custom-tkn
    allowAnyAudience: true
    trustedProxy: none
clients:
  - clientId: app
    clientSecret: app-secret-0123456789
    redirectUris: [${CALLBACK}]
    identityProviders: [legacy]
`,
    );
    child = spawn(process.execPath, [BIN, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const line of parts) {
        try {
          events.push(JSON.parse(line));
        } catch {
          // not a log line
        }
      }
    });
    await pollUntil(() => of('cluster.started').length === 1 || child.exitCode !== null, { what: 'cluster.started', timeoutMs: 30_000 });
    expect(of('cluster.started')).toHaveLength(1);
  });

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    for (const e of of('cluster.worker_listening')) if (alive(e.pid as number)) process.kill(e.pid as number, 'SIGKILL');
    await legacy?.close();
    await rm(dir, { recursive: true, force: true });
    await deleteKeys(keyPrefix);
  });

  it('serves one port from two worker processes sharing the store: a login started on one completes on the other', async () => {
    const pids = of('cluster.worker_listening').map((e) => e.pid as number);
    expect(new Set(pids).size).toBe(2);
    expect(pids.every(alive)).toBe(true);
    // A new connection per request: node:cluster hands connections out round-robin, so the steps cross workers.
    const headers = { connection: 'close' };
    for (let i = 0; i < 3; i++) {
      const authorize = await fetch(
        `${base}/authorize?client_id=app&redirect_uri=${encodeURIComponent(CALLBACK)}&response_type=code&scope=openid&state=s${i}`,
        { redirect: 'manual', headers },
      );
      expect(authorize.status).toBe(302);
      const authRequestId = new URL(authorize.headers.get('location')!).searchParams.get('authRequestID')!;
      const jwt = await fetch(`${base}/login/jwt?authRequestID=${authRequestId}`, {
        headers: { ...headers, 'x-custom-tkn': await legacy.mint({ sub: `user-${i}` }) },
        redirect: 'manual',
      });
      expect(jwt.status).toBe(302);
      expect(new URL(jwt.headers.get('location')!).pathname).toBe('/login/jwt/callback');
    }
  });

  it('replaces a worker that dies after it listened', async () => {
    const victim = of('cluster.worker_listening')[0]!.pid as number;
    process.kill(victim, 'SIGKILL');
    await pollUntil(() => of('cluster.worker_listening').length === 3, { what: 'a replacement worker', timeoutMs: 30_000 });
    expect(of('cluster.worker_died')).toHaveLength(1);
    expect((await fetch(`${base}/healthz`, { headers: { connection: 'close' } })).status).toBe(200);
  });

  it('on SIGTERM to the primary stops every worker gracefully and exits 0', async () => {
    const pids = of('cluster.worker_listening')
      .map((e) => e.pid as number)
      .filter(alive);
    expect(pids).toHaveLength(2);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(of('server.stopped')).toHaveLength(2);
    expect(of('cluster.stopped')).toHaveLength(1);
    expect(pids.filter(alive)).toEqual([]);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
