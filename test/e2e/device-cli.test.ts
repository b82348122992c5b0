/** `jwt-idp-bridge login --device` (src/cli/login-device.ts) against a real bridge, approved by the test browser. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/main.ts';
import { answerDevice, deviceClients, pageTitle } from '../helpers/device.ts';
import { pollUntil } from '../helpers/poll-until.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => void stdout.push(l), err: (l) => void stderr.push(l), readStdin: async () => '', env: {} };
}

describe('jwt-idp-bridge login --device', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ clients: deviceClients(), device: { intervalSeconds: 1 } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('prints the URL and code, waits for the approval, then prints the ID token claims (not the tokens)', async () => {
    const io = capture();
    const exit = runCli(['login', '--device', '--issuer', stack.issuer, '--client-id', 'cli', '--scope', 'openid email groups'], io);
    await pollUntil(() => io.stdout.some((line) => line.startsWith('To sign in')), { what: 'the code line', timeoutMs: 10_000 });
    const [, url, code] = /^To sign in, open (\S+) and enter the code (\S+)$/.exec(io.stdout[0]!)!;
    expect(url).toBe(`${stack.issuer}/device`);
    const done = await answerDevice(await stack.browser('alice', { email: 'alice@example.com', groups: ['ops'] }), stack.issuer, code!);
    expect(await pageTitle(done)).toBe('Device connected');
    expect(await exit).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toContain('Signed in.');
    expect(text).toContain('"email": "alice@example.com"');
    expect(text).toMatch(/"groups": \[\s*"ops"\s*\]/);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });

  it('usage errors exit 2; a client not allowed the grant exits 1 with the OAuth error', async () => {
    expect(await runCli(['login', '--issuer', stack.issuer, '--client-id', 'cli'], capture())).toBe(2);
    expect(await runCli(['login', '--device', '--client-id', 'cli'], capture())).toBe(2);
    expect(await runCli(['login', '--device', '--issuer', 'http://example.com', '--client-id', 'cli'], capture())).toBe(2);
    const io = capture();
    expect(await runCli(['login', '--device', '--issuer', stack.issuer, '--client-id', 'spa'], io)).toBe(1);
    expect(io.stderr.join('\n')).toContain('unauthorized_client');
  });
});
