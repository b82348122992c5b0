import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../src/runtime/demo/index.ts';
import { Browser } from '../helpers/browser.ts';
import { freeBase } from '../helpers/free-ports.ts';

describe('npm start: the demo stack', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  const printed: string[] = [];

  beforeAll(async () => {
    demo = await startDemo({ env: { DEMO_PORT: String(await freeBase()), DEMO_LOG_LEVEL: 'silent' }, out: (line) => void printed.push(line) });
  });
  afterAll(async () => {
    await demo?.close();
  });

  it('prints what to open', () => {
    expect(printed.join('\n')).toContain(demo.urls.legacy);
  });

  it('signs a legacy user in to the new app without a prompt', async () => {
    const browser = new Browser();
    const login = await browser.request(`${demo.urls.legacy}/login`, { method: 'POST', body: new URLSearchParams({ username: 'alice' }) });
    expect(login.status).toBe(303);
    const { response } = await browser.follow(`${demo.urls.newApp}/login`, 'never:');
    const page = await response.text();
    expect(page).toContain('Signed in as Alice');
    expect(page).toContain('alice@legacy.example');
    // Went through the bridge and the WAF's JWT endpoint, and back.
    const visited = browser.hops.map((hop) => new URL(hop.url).origin + new URL(hop.url).pathname);
    expect(visited).toContain(`${demo.urls.bridge}/authorize`);
    expect(visited).toContain(`${demo.urls.legacy}/existing/auth-new`);
    expect(visited).toContain(`${demo.urls.bridge}/login/jwt/callback`);
  });

  it('without a legacy session, sends the user to the legacy login and back, signed in', async () => {
    const browser = new Browser();
    const { response } = await browser.follow(`${demo.urls.newApp}/login`, 'never:');
    const page = await response.text();
    expect(response.url || browser.hops.at(-1)!.url).toContain('/login?return_to=');
    const returnTo = /name="return_to" value="([^"]+)"/.exec(page)?.[1]?.replaceAll('&amp;', '&');
    expect(returnTo).toMatch(/\/existing\/auth-new\?authRequestID=/);
    const login = await browser.request(`${demo.urls.legacy}/login`, { method: 'POST', body: new URLSearchParams({ username: 'bob', return_to: returnTo! }) });
    const { response: final } = await browser.follow(new URL(login.headers.get('location')!, demo.urls.legacy).href, 'never:');
    expect(await final.text()).toContain('Signed in as Bob');
  });
});
