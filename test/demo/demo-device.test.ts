/** The demo prints a one-line device sign-in; this runs exactly that line's command and approves it in a browser. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/main.ts';
import { startDemo } from '../../src/runtime/demo/index.ts';
import { Browser } from '../helpers/browser.ts';
import { answerDevice, pageTitle } from '../helpers/device.ts';
import { freeBase } from '../helpers/free-ports.ts';
import { pollUntil } from '../helpers/poll-until.ts';

describe('npm start: the demo stack, from a terminal', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  const printed: string[] = [];
  beforeAll(async () => {
    demo = await startDemo({ env: { DEMO_PORT: String(await freeBase()), DEMO_LOG_LEVEL: 'silent' }, out: (line) => void printed.push(line) });
  });
  afterAll(async () => {
    await demo?.close();
  });

  it('the printed `login --device` line signs a legacy user in from a terminal', async () => {
    const line = /npx jwt-idp-bridge (login --device .*)$/m.exec(printed.join('\n'))?.[1];
    expect(line).toBe(`login --device --issuer ${demo.urls.bridge} --client-id demo-cli`);
    const stdout: string[] = [];
    const io: CliIo = { out: (l) => void stdout.push(l), err: (l) => void stdout.push(l), readStdin: async () => '', env: {} };
    const exit = runCli(line!.split(' '), io);
    await pollUntil(() => stdout.some((l) => l.startsWith('To sign in')), { what: 'the code', timeoutMs: 10_000 });
    const code = /enter the code (\S+)$/.exec(stdout[0]!)![1]!;

    const browser = new Browser();
    await browser.request(`${demo.urls.legacy}/login`, { method: 'POST', body: new URLSearchParams({ username: 'erin' }) });
    expect(await pageTitle(await answerDevice(browser, demo.urls.bridge!, code))).toBe('Device connected');
    expect(await exit).toBe(0);
    expect(stdout.join('\n')).toContain('erin@legacy.example');
  }, 30_000);
});
