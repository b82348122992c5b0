/**
 * Top-level navigations the way a browser sends them, over node:http, with the test Browser's cookie jar and hop log.
 *
 * Why not `Browser.request` (fetch): undici always sends `Sec-Fetch-Mode: cors`, and mod_auth_openidc answers a
 * request that is not a navigation (`Sec-Fetch-Mode` other than `navigate`, `X-Requested-With`, no `text/html` in
 * `Accept`) with a bare 401 instead of starting a login. node:http sends exactly the headers given.
 */
import { request as httpRequest } from 'node:http';
import type { Browser } from './browser.ts';

const NAVIGATION_HEADERS = {
  accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-dest': 'document',
  'sec-fetch-site': 'cross-site',
  'user-agent': 'jwt-idp-bridge-tests',
};

export interface Page {
  url: string;
  status: number;
  location?: string;
  body: string;
}

/** One GET navigation to `url`; Set-Cookie goes into the jar (Max-Age=0 or a past Expires deletes). */
export function navigate(browser: Browser, url: string): Promise<Page> {
  const target = new URL(url);
  const cookie = [...browser.cookies(target.origin)].map(([name, value]) => `${name}=${value}`).join('; ');
  return new Promise((resolve, reject) => {
    const req = httpRequest(target, { method: 'GET', headers: { ...NAVIGATION_HEADERS, ...(cookie && { cookie }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        for (const line of res.headers['set-cookie'] ?? []) storeCookie(browser, target.origin, line);
        const status = res.statusCode ?? 0;
        const location = typeof res.headers.location === 'string' ? res.headers.location : undefined;
        browser.hops.push({ url, status, ...(location && { location }) });
        resolve({ url, status, ...(location && { location }), body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function storeCookie(browser: Browser, origin: string, line: string): void {
  const [pair = '', ...attributes] = line.split(';');
  const eq = pair.indexOf('=');
  const name = pair.slice(0, eq).trim();
  const value = pair.slice(eq + 1).trim();
  const expired = attributes.some((a) => /^\s*max-age=(0|-\d+)\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
  if (expired || value === '') browser.cookies(origin).delete(name);
  else browser.setCookie(origin, name, value);
}

/**
 * Follows redirects from `url` for at most `maxHops` navigations. `looped` is true when the last answer was still a
 * redirect (a redirect loop, as far as a browser's patience goes); `page` is the last answer either way.
 */
export async function navigateFollowing(browser: Browser, url: string, maxHops = 20): Promise<{ page: Page; pages: Page[]; looped: boolean }> {
  const pages: Page[] = [];
  let current = url;
  for (let i = 0; i < maxHops; i++) {
    const page = await navigate(browser, current);
    pages.push(page);
    if (page.status < 300 || page.status >= 400 || !page.location) return { page, pages, looped: false };
    current = new URL(page.location, current).href;
  }
  return { page: pages.at(-1)!, pages, looped: true };
}
