/**
 * The device authorization grant (RFC 8628) from both ends, for tests: the device side (raw requests to
 * /device_authorization and /token) and the person's side (the /device pages, in the test Browser).
 */
import { expect } from 'vitest';
import type { Browser } from './browser.ts';
import type { Stack } from './stack.ts';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** A public CLI client and a confidential one, both allowed the device grant (and refresh tokens). */
export const CLI = { clientId: 'cli' };
export const CLI_CONFIDENTIAL = { clientId: 'cli-confidential', clientSecret: 'cli-confidential-secret-0123456789' };
export const deviceClients = (extra: Record<string, unknown> = {}) => [
  { clientId: CLI.clientId, identityProviders: ['legacy'], grantTypes: [DEVICE_GRANT, 'refresh_token'], ...extra },
  { clientId: CLI_CONFIDENTIAL.clientId, clientSecret: CLI_CONFIDENTIAL.clientSecret, identityProviders: ['legacy'], grantTypes: [DEVICE_GRANT] },
];

export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

const form = (params: Record<string, string | undefined>) =>
  new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined));

export function startDevice(stack: Pick<Stack, 'issuer'>, params: Record<string, string | undefined> = {}, headers: Record<string, string> = {}) {
  return fetch(`${stack.issuer}/device_authorization`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: form({ client_id: CLI.clientId, scope: 'openid profile email groups', ...params }),
  });
}

export async function startedDevice(stack: Pick<Stack, 'issuer'>, params: Record<string, string | undefined> = {}): Promise<DeviceAuthorization> {
  const response = await startDevice(stack, params);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as DeviceAuthorization;
}

export function pollDevice(stack: Pick<Stack, 'issuer'>, deviceCode: string, params: Record<string, string | undefined> = {}) {
  return fetch(`${stack.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: CLI.clientId, ...params }),
  });
}

/** The sealed form token of a device page. */
export function csrfOf(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error(`no form token in page: ${html.slice(0, 400)}`);
  return match[1]!;
}

export async function postDevice(browser: Browser, issuer: string, params: Record<string, string | undefined>): Promise<Response> {
  return browser.request(`${issuer}/device`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form(params),
  });
}

/** GET /device, then POST the code; returns the response to the entry (the confirmation page when it is right). */
export async function enterCode(browser: Browser, issuer: string, userCode: string): Promise<Response> {
  const page = await browser.request(`${issuer}/device`);
  expect(page.status).toBe(200);
  return postDevice(browser, issuer, { csrf: csrfOf(await page.text()), action: 'enter', user_code: userCode });
}

/**
 * The whole approval in `browser` (which holds the WAF session): enter the code, press approve or deny, and follow
 * the redirects through the JWT endpoint back to the bridge's final page.
 */
export async function answerDevice(browser: Browser, issuer: string, userCode: string, action: 'approve' | 'deny' = 'approve'): Promise<Response> {
  const confirm = await enterCode(browser, issuer, userCode);
  expect(confirm.status, 'confirmation page').toBe(200);
  const response = await postDevice(browser, issuer, { csrf: csrfOf(await confirm.text()), action });
  const location = response.headers.get('location');
  if (response.status !== 302 || !location) return response;
  return (await browser.follow(new URL(location, issuer).href, 'about:never')).response;
}

export async function pageTitle(response: Response): Promise<string> {
  const html = await response.text();
  return /<h1>([^<]*)<\/h1>/.exec(html)?.[1] ?? html.slice(0, 200);
}
