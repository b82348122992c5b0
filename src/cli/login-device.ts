import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';

export interface DeviceLoginOptions {
  issuer: string;
  clientId: string;
  /** Default: openid profile email groups (jitsudo's scopes, without offline_access). */
  scope?: string;
  clientSecret?: string;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Abort the polling (tests; Ctrl-C). */
  signal?: AbortSignal;
}

const isLoopback = (url: URL) => ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || url.hostname.startsWith('127.');

/**
 * `jwt-idp-bridge login --device`: the device authorization grant (RFC 8628) against any OIDC provider, with
 * openid-client as the CLI would use it — prints the code and URL, waits for the approval in a browser, then prints
 * the ID token's claims (never the tokens themselves: they are secrets). Plain http only for loopback issuers.
 */
export async function runDeviceLogin(options: DeviceLoginOptions): Promise<number> {
  const issuer = new URL(options.issuer);
  const insecure = issuer.protocol === 'http:' && isLoopback(issuer);
  if (issuer.protocol !== 'https:' && !insecure) {
    options.err('error: --issuer must be an https URL (http only for localhost)');
    return 2;
  }
  try {
    return await deviceLogin(options, issuer, insecure);
  } catch (error) {
    const code = error instanceof oidc.ResponseBodyError ? `${error.error}${error.error_description ? ` (${error.error_description})` : ''}` : undefined;
    options.err(`sign-in failed: ${code ?? (error as Error).message}`);
    return 1;
  }
}

async function deviceLogin(options: DeviceLoginOptions, issuer: URL, insecure: boolean): Promise<number> {
  const config = await oidc.discovery(
    issuer,
    options.clientId,
    options.clientSecret,
    options.clientSecret === undefined ? oidc.None() : undefined,
    insecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
  );
  const started = await oidc.initiateDeviceAuthorization(config, { scope: options.scope ?? 'openid profile email groups' });
  options.out(`To sign in, open ${started.verification_uri} and enter the code ${started.user_code}`);
  if (started.verification_uri_complete) options.out(`  (or open ${started.verification_uri_complete})`);
  options.out(`Waiting for the approval (expires in ${started.expires_in} s)...`);
  const tokens = await oidc.pollDeviceAuthorizationGrant(config, started, undefined, options.signal ? { signal: options.signal } : undefined);
  options.out('Signed in.');
  const claims = tokens.id_token ? tokens.claims() : undefined;
  if (claims) options.out(`ID token claims: ${JSON.stringify(claims, null, 2)}`);
  else options.out(`Access token claims: ${JSON.stringify(decodeJwt(tokens.access_token), null, 2)}`);
  options.out(`expires_in: ${tokens.expires_in ?? '-'}; refresh token: ${tokens.refresh_token ? 'yes' : 'no'}; scope: ${tokens.scope ?? '-'}`);
  return 0;
}
