import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../../src/cli/main.ts';
import { startLegacyIssuer, type LegacyIssuer } from '../../helpers/legacy-issuer.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../../bin/jwt-idp-bridge.js');

function io(env: Record<string, string | undefined> = {}, stdin = ''): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => void stdout.push(l), err: (l) => void stderr.push(l), readStdin: async () => stdin, env };
}

const validYaml = (legacy: { url: string; jwksUrl: string }) => `
issuer: https://accounts.example.com
identityProviders:
  - id: legacy
    issuer: ${legacy.url}
    keysEndpoint: ${legacy.jwksUrl}
    jwtEndpoint: https://apps.example.com/existing/auth-new
    headerName: x-custom-tkn
    allowAnyAudience: true
    trustedProxy: none
clients:
  - clientId: new-app
    clientSecret: "\${NEW_APP_SECRET}"
    redirectUris: [https://new.example.com/callback]
    identityProviders: [legacy]
`;

describe('jwt-idp-bridge CLI', () => {
  let dir: string;
  let legacy: LegacyIssuer;
  let goodFile: string;
  let badFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jib-cli-'));
    legacy = await startLegacyIssuer({ alg: 'ES256' });
    goodFile = join(dir, 'good.yaml');
    badFile = join(dir, 'bad.yaml');
    await writeFile(goodFile, validYaml(legacy));
    await writeFile(
      badFile,
      `issuer: http://accounts.example.com\nidentityProviders: []\nclients: [{ clientId: x, redirectUris: [], identityProviders: [] }]\n`,
    );
  });
  afterAll(async () => {
    await legacy?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('config check: 0 and OK for a valid file', async () => {
    const cli = io({ NEW_APP_SECRET: 'a-long-enough-secret' });
    expect(await runCli(['config', 'check', '--config', goodFile], cli)).toBe(0);
    expect(cli.stdout.join('\n')).toMatch(/^OK: /);
  });

  it('config check: 1 and every problem with its key path for an invalid file', async () => {
    const cli = io();
    expect(await runCli(['config', 'check', '--config', badFile], cli)).toBe(1);
    const text = cli.stderr.join('\n');
    expect(text).toContain('issuer: must be an https URL (http allowed only for loopback)');
    expect(text).toContain('identityProviders: must list at least one identity provider');
    expect(text).toContain('clients[0].redirectUris: must list at least one redirect URI');
    expect(text).toContain('clients[0].identityProviders: must name at least one identity provider');
  });

  it('config check: 1 naming a missing environment variable', async () => {
    const cli = io({});
    expect(await runCli(['config', 'check', '--config', goodFile], cli)).toBe(1);
    expect(cli.stderr.join('\n')).toContain('clients[0].clientSecret: environment variable NEW_APP_SECRET is not set');
  });

  it('config check: BRIDGE_CONFIG names the file; a missing file is a clear error', async () => {
    expect(await runCli(['config', 'check'], io({ BRIDGE_CONFIG: goodFile, NEW_APP_SECRET: 'a-long-enough-secret' }))).toBe(0);
    const cli = io();
    expect(await runCli(['config', 'check', '--config', join(dir, 'absent.yaml')], cli)).toBe(1);
    expect(cli.stderr.join('\n')).toContain('ENOENT');
  });

  it('usage errors exit 2', async () => {
    expect(await runCli([], io())).toBe(2);
    expect(await runCli(['config', 'check'], io())).toBe(2);
    expect(await runCli(['frobnicate'], io())).toBe(2);
    expect(await runCli(['--nope'], io())).toBe(2);
    expect(await runCli(['token', 'verify', '--config', goodFile], io({ NEW_APP_SECRET: 'a-long-enough-secret' }))).toBe(2);
    expect(await runCli(['keys', 'generate', '--alg', 'HS256'], io())).toBe(2);
    expect(await runCli(['--help'], io())).toBe(0);
  });

  it('token verify reads the token from standard input with "-" and exits 0 when accepted, 1 when rejected', async () => {
    const env = { NEW_APP_SECRET: 'a-long-enough-secret' };
    const good = io(env, `${await legacy.mint({ sub: 'alice' })}\n`);
    expect(await runCli(['token', 'verify', '--config', goodFile, '--idp', 'legacy', '-'], good)).toBe(0);
    expect(good.stdout.join('\n')).toMatch(/RESULT\s+accepted/);

    const expired = await legacy.mint({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 7200 });
    const bad = io(env);
    expect(await runCli(['token', 'verify', '--config', goodFile, '--idp', 'legacy', expired], bad)).toBe(1);
    expect(bad.stdout.join('\n')).toMatch(/RESULT\s+rejected: expired/);
    expect(bad.stdout.join('\n')).not.toContain(expired);
  });

  it('keys generate prints a private JWK of the asked algorithm', async () => {
    for (const alg of ['RS256', 'ES256', 'EdDSA']) {
      const cli = io();
      expect(await runCli(['keys', 'generate', '--alg', alg], cli)).toBe(0);
      const jwk = JSON.parse(cli.stdout.join('\n'));
      expect(jwk).toMatchObject({ alg, use: 'sig' });
      expect(typeof jwk.d).toBe('string');
      expect(typeof jwk.kid).toBe('string');
    }
  });

  it('the installed bin runs with the same exit codes (npx jwt-idp-bridge)', async () => {
    const env = { ...process.env, NEW_APP_SECRET: 'a-long-enough-secret' };
    const ok = await run(process.execPath, [BIN, 'config', 'check', '--config', goodFile], { env });
    expect(ok.stdout).toMatch(/^OK: /);
    const failed = await run(process.execPath, [BIN, 'config', 'check', '--config', badFile], { env }).catch((error) => error);
    expect(failed.code).toBe(1);
    const usage = await run(process.execPath, [BIN, 'nonsense'], { env }).catch((error) => error);
    expect(usage.code).toBe(2);
  });
});

describe('clients secret (#9.15)', () => {
  it('prints a fresh 256-bit secret of 64 hex digits', async () => {
    const secrets = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const cli = io();
      expect(await runCli(['clients', 'secret'], cli)).toBe(0);
      expect(cli.stdout).toHaveLength(1);
      expect(cli.stdout[0]).toMatch(/^[0-9a-f]{64}$/);
      secrets.add(cli.stdout[0]!);
    }
    expect(secrets.size).toBe(20);
  });
});
