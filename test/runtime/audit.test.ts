import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configProblems, minimalConfig } from '../helpers/config.ts';
import { completeSignIn, signIn } from '../helpers/app-client.ts';
import { sessionBrowser, startStack, WEB_APP, type Stack } from '../helpers/stack.ts';

const tokenRequest = (stack: Stack, body: Record<string, string>) =>
  fetch(`${stack.issuer}/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${btoa(`${WEB_APP.clientId}:${WEB_APP.clientSecret}`)}` },
    body: new URLSearchParams(body),
  });

describe('audit sink (logging.audit.file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jib-audit-'));
  const file = join(dir, 'audit.jsonl');
  let stack: Stack;
  const secrets: string[] = [];
  const lines = () =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  beforeAll(async () => {
    // Level warn: the audit trail does not depend on the log level.
    stack = await startStack({ logging: { level: 'warn', audit: { file } } });
    // A full run: a login with tokens, a refused legacy session, a forged-looking unknown client, a code replayed.
    const legacyJwt = await stack.legacy.mint({ sub: 'audit-alice', email: 'alice@example.com' });
    const good = await completeSignIn(stack, sessionBrowser(stack.waf.url, legacyJwt), WEB_APP);
    secrets.push(legacyJwt, good.tokens.access_token, good.tokens.id_token!, good.callback.searchParams.get('code')!, WEB_APP.clientSecret);
    await signIn(stack, await stack.browser(), WEB_APP);
    await fetch(`${stack.issuer}/authorize?client_id=nobody&redirect_uri=https://x.example/cb&response_type=code&scope=openid`);
    const replay = await signIn(stack, await stack.browser('audit-bob'), WEB_APP);
    const code = replay.callback.searchParams.get('code')!;
    secrets.push(code);
    const redeem = () => tokenRequest(stack, { grant_type: 'authorization_code', code, redirect_uri: WEB_APP.redirectUri, code_verifier: replay.verifier });
    const first = await redeem();
    secrets.push(((await first.json()) as { access_token: string }).access_token);
    expect((await redeem()).status).toBe(400);
    await stack.close();
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('records every significant step, in order, with request id, client, IdP and bridge user', () => {
    const events = lines().map((l) => l.event);
    expect(events[0]).toBe('server.started');
    expect(events.at(-1)).toBe('server.stopped');
    const login = ['authorize.started', 'login.authenticated', 'login.succeeded', 'token.issued'];
    expect(events.filter((e) => login.includes(e as string)).slice(0, 4)).toEqual(login);
    expect(events).toContain('user.registered');
    expect(events).toContain('code.reused');
    const succeeded = lines().find((l) => l.event === 'login.succeeded')!;
    expect(succeeded).toMatchObject({ clientId: 'web-app', idp: 'legacy', level: 'info' });
    expect(succeeded.userId).toMatch(/./);
    expect(succeeded.requestId).toMatch(/./);
    const issued = lines().find((l) => l.event === 'token.issued')!;
    expect(issued).toMatchObject({ clientId: 'web-app', grantType: 'authorization_code', issued: ['access_token', 'id_token'] });
  });

  it('records refusals with their reason code', () => {
    const rejected = lines().filter((l) => String(l.event).endsWith('.rejected'));
    expect(rejected).toContainEqual(expect.objectContaining({ event: 'legacy.rejected', reason: 'token_missing', clientId: 'web-app', idp: 'legacy' }));
    expect(rejected).toContainEqual(expect.objectContaining({ event: 'authorize.rejected', reason: 'client_unknown' }));
    expect(rejected).toContainEqual(expect.objectContaining({ event: 'token.rejected', reason: 'code_reused', clientId: 'web-app' }));
  });

  it('holds only audit events, and no token, code, secret, cookie or legacy JWT', () => {
    const text = readFileSync(file, 'utf8');
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    const events = new Set(lines().map((l) => l.event));
    for (const noise of ['http.request', 'legacy.keys_cache_hit', 'legacy.keys_fetched']) expect(events).not.toContain(noise);
    const allowed = [
      'time',
      'level',
      'event',
      'requestId',
      'clientId',
      'idp',
      'userId',
      'reason',
      'grantType',
      'issued',
      'grantId',
      'registered',
      'prompt',
      'store',
      'issuer',
    ];
    for (const line of lines()) for (const key of Object.keys(line)) expect(allowed, `${line.event}: ${key}`).toContain(key);
  });
});

describe('audit sink durability', () => {
  it('keeps every event written before a SIGKILL (synchronous write + fdatasync)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jib-audit-kill-'));
    const file = join(dir, 'audit.jsonl');
    try {
      const script = `
        import { createAuditSink } from ${JSON.stringify(new URL('../../src/runtime/audit-sink.ts', import.meta.url).href)};
        const sink = createAuditSink({ file: ${JSON.stringify(file)} });
        for (let i = 0; i < 50; i++) sink.observer('info', { event: 'login.succeeded', requestId: 'r' + i, userId: 'u' });
        process.kill(process.pid, 'SIGKILL');`;
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(result.signal).toBe('SIGKILL');
      const written = readFileSync(file, 'utf8').trim().split('\n');
      expect(written).toHaveLength(50);
      expect(JSON.parse(written[49]!)).toMatchObject({ event: 'login.succeeded', requestId: 'r49' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts { file } or { stdout: true } and nothing else', () => {
    const withAudit = (audit: unknown) => configProblems({ ...minimalConfig(), logging: { audit } });
    expect(withAudit({ file: '/var/log/bridge-audit.jsonl' })).toEqual([]);
    expect(withAudit({ stdout: true })).toEqual([]);
    expect(withAudit({ file: '' })).not.toEqual([]);
    expect(withAudit({ stdout: false })).not.toEqual([]);
    expect(withAudit({ file: 'a', stdout: true })).not.toEqual([]);
  });
});
