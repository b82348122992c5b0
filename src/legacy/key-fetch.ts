import type { Clock } from '../clock.ts';
import { checkSecureUrl } from '../config/urls.ts';

/** Larger answers are refused: a JWK set or discovery document is a few KiB. */
const MAX_BODY_CHARS = 512 * 1024;

export interface FetchOptions {
  fetch: typeof fetch;
  timeoutSeconds: number;
}

/**
 * GETs a JSON document: bounded by a timeout (covering headers and body), redirects not followed
 * (a redirect could point the bridge anywhere), only a 200 with a JSON object is accepted.
 */
export async function fetchJson(url: string, what: string, { fetch, timeoutSeconds }: FetchOptions): Promise<Record<string, unknown>> {
  const timeoutMs = Math.max(1, Math.round(timeoutSeconds * 1000));
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
      headers: { accept: 'application/json, application/jwk-set+json' },
    });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      throw new Error(`${what} ${url} answered HTTP ${response.status}, expected 200`);
    }
    const text = await response.text();
    if (text.length > MAX_BODY_CHARS) throw new Error(`${what} ${url} is larger than ${MAX_BODY_CHARS} characters`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`${what} ${url} is not JSON`);
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error(`${what} ${url} is not a JSON object`);
    return body as Record<string, unknown>;
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new Error(`${what} ${url} timed out after ${timeoutSeconds}s`);
    if (error instanceof TypeError) {
      // fetch() network failures: the useful part (ECONNREFUSED, …) is in the cause.
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`${what} ${url} unreachable: ${cause?.code ?? cause?.message ?? error.message}`);
    }
    throw error;
  }
}

export interface KeysDocument {
  jwks: Record<string, unknown>;
  url: string;
}

/** Loader for a configured `keysEndpoint`. */
export function keysEndpointLoader(url: string, options: FetchOptions): () => Promise<KeysDocument> {
  return async () => ({ jwks: await fetchJson(url, 'keys endpoint', options), url });
}

/**
 * Loader for a configured `discoveryUrl`: the discovery document is fetched on first use and again once it is older
 * than `maxAgeSeconds`; its `issuer` must equal the configured issuer exactly and its `jwks_uri` must be https (or loopback).
 */
export function discoveryLoader(
  discoveryUrl: string,
  issuer: string,
  options: FetchOptions & { clock: Clock; maxAgeSeconds: number },
): () => Promise<KeysDocument> {
  let discovered: { jwksUri: string; at: number } | undefined;
  return async () => {
    const now = options.clock.now();
    if (!discovered || now - discovered.at >= options.maxAgeSeconds * 1000) {
      const doc = await fetchJson(discoveryUrl, 'discovery document', options);
      if (doc.issuer !== issuer) {
        throw new Error(`discovery document ${discoveryUrl} names issuer ${JSON.stringify(doc.issuer)}, expected ${JSON.stringify(issuer)}`);
      }
      if (typeof doc.jwks_uri !== 'string') throw new Error(`discovery document ${discoveryUrl} has no jwks_uri`);
      const problem = checkSecureUrl(doc.jwks_uri);
      if (problem) throw new Error(`discovery document ${discoveryUrl}: jwks_uri ${problem}`);
      discovered = { jwksUri: doc.jwks_uri, at: now };
    }
    const url = discovered.jwksUri;
    try {
      return { jwks: await fetchJson(url, 'jwks_uri', options), url };
    } catch (error) {
      discovered = undefined; // the jwks_uri may have moved: rediscover on the next attempt
      throw error;
    }
  };
}
