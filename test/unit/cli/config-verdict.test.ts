import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningJwk } from '../../../src/keys/signing-keys.ts';
import { runCli, type CliIo } from '../../../src/cli/main.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../../bin/jwt-idp-bridge.js');

/** A valid config (serve would listen on an ephemeral loopback port); `idp` and `top` are spliced in as YAML lines. */
function config({ idp = ['audiences: [bridge]', 'trustedProxy: none'], top = [] as string[], client = [] as string[] } = {}): string {
  return [
    'issuer: http://127.0.0.1:9',
    'server: { host: 127.0.0.1, port: 0 }',
    'logging: { level: warn }',
    ...top,
    'identityProviders:',
    '  - id: legacy',
    '    issuer: https://issuer.example.internal',
    '    keysEndpoint: https://issuer.example.internal/keys',
    '    jwtEndpoint: https://apps.example.com/existing/auth-new',
    ...idp.map((line) => `    ${line}`),
    'clients:',
    '  - clientId: app',
    '    redirectUris: [https://app.example.com/cb]',
    '    identityProviders: [legacy]',
    ...client.map((line) => `    ${line}`),
    '',
  ].join('\n');
}

/** Runs the real CLI; a process still running after the guard timeout is killed and reported (serve must not listen). */
async function cli(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 60_000, killSignal: 'SIGKILL' });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; killed?: boolean; stdout?: string; stderr?: string };
    return { code: e.killed ? -1 : (e.code ?? -1), output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('config check and serve give the same verdict on bad configurations (#9.8)', () => {
  let dir: string;
  const files: Record<string, { file: string; path: string }> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jib-verdict-'));
    const es256 = JSON.stringify(await generateSigningJwk('ES256'));
    const rs256 = JSON.stringify(await generateSigningJwk('RS256'));
    await writeFile(join(dir, 'es256.jwk.json'), es256);
    const cases: Record<string, { text: string; path: string }> = {
      'sourceCidrs prefix over 32': {
        text: config({ idp: ['audiences: [bridge]', 'trustedProxy: { sourceCidrs: [10.20.0.0/33] }'] }),
        path: 'identityProviders[0].trustedProxy.sourceCidrs[0]',
      },
      'sourceCidrs not an IP': {
        text: config({ idp: ['audiences: [bridge]', 'trustedProxy: { sourceCidrs: ["not-an-ip"] }'] }),
        path: 'identityProviders[0].trustedProxy.sourceCidrs[0]',
      },
      'ES256-only inline signing key': { text: config({ top: [`signing: { keys: [{ jwk: ${es256} }] }`] }), path: 'signing.keys' },
      'ES256-only signing key file': { text: config({ top: ['signing: { keys: [{ file: es256.jwk.json }] }'] }), path: 'signing.keys' },
      'signing key file missing': { text: config({ top: ['signing: { keys: [{ file: absent.jwk.json }] }'] }), path: 'signing.keys[0].file' },
      'client asks for EdDSA, only RS256 configured': {
        text: config({ top: [`signing: { keys: [{ jwk: ${rs256} }] }`], client: ['idTokenSignedResponseAlg: EdDSA'] }),
        path: 'signing.keys',
      },
      'client asks for ES256 access tokens, only RS256 configured': {
        text: config({ top: [`signing: { keys: [{ jwk: ${rs256} }] }`], client: ['accessTokenSigningAlg: ES256'] }),
        path: 'signing.keys',
      },
      'audiences missing': { text: config({ idp: ['trustedProxy: none'] }), path: 'identityProviders[0].audiences' },
      'trustedProxy missing': { text: config({ idp: ['audiences: [bridge]'] }), path: 'identityProviders[0].trustedProxy' },
    };
    for (const [name, { text, path }] of Object.entries(cases)) {
      const file = join(dir, `${Object.keys(files).length}.yaml`);
      await writeFile(file, text);
      files[name] = { file, path };
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    'sourceCidrs prefix over 32',
    'sourceCidrs not an IP',
    'ES256-only inline signing key',
    'ES256-only signing key file',
    'signing key file missing',
    'client asks for EdDSA, only RS256 configured',
    'client asks for ES256 access tokens, only RS256 configured',
    'audiences missing',
    'trustedProxy missing',
  ])('%s', async (name) => {
    const { file, path } = files[name]!;
    const [check, serve] = await Promise.all([cli(['config', 'check', '--config', file]), cli(['serve', '--config', file])]);
    expect({ code: check.code, names: check.output.includes(`  ${path}: `) }).toEqual({ code: 1, names: true });
    expect({ code: serve.code, names: serve.output.includes(`  ${path}: `) }).toEqual({ code: 1, names: true });
    expect(serve.output).not.toContain('server.started');
  });
});

describe('explicit opt-outs are warned about, one line per IdP and choice (#9.3)', () => {
  const text = config({ idp: ['allowAnyAudience: true', 'trustedProxy: none'] }).replace('level: warn', 'level: info');
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jib-warn-'));
    file = join(dir, 'open.yaml');
    await writeFile(file, text);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('config check prints each warning and still exits 0', async () => {
    const io: CliIo & { lines: string[] } = {
      lines: [],
      out: (l) => void io.lines.push(l),
      err: (l) => void io.lines.push(l),
      readStdin: async () => '',
      env: {},
    };
    expect(await runCli(['config', 'check', '--config', file], io)).toBe(0);
    const warnings = io.lines.filter((line) => line.startsWith('warning: '));
    expect(warnings).toEqual([
      'warning: identityProviders[0] (legacy): allowAnyAudience: true — tokens for any audience are accepted; list audiences to restrict them',
      'warning: identityProviders[0] (legacy): trustedProxy: none — the JWT endpoint accepts requests that did not come through the WAF',
    ]);
  });

  it('serve logs the same warnings before it listens', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const lines: string[] = [];
      await new Promise<void>((resolve, reject) => {
        let buffer = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          const parts = buffer.split('\n');
          buffer = parts.pop()!;
          lines.push(...parts);
          if (parts.some((line) => line.includes('"server.started"'))) resolve();
        });
        child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${lines.join('\n')}`)));
      });
      const warnings = lines.map((line) => JSON.parse(line) as { event?: string; msg?: string }).filter((entry) => entry.event === 'config.opt_out');
      expect(warnings.map((entry) => entry.msg)).toEqual([
        'identityProviders[0] (legacy): allowAnyAudience: true — tokens for any audience are accepted; list audiences to restrict them',
        'identityProviders[0] (legacy): trustedProxy: none — the JWT endpoint accepts requests that did not come through the WAF',
      ]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
